import { describe, expect, it } from "vitest";
import type { MessageView } from "../../../../schema/protocol";
import type { ConversationView } from "../../conversation/conversation-view";
import { conversationNote, visitorEmailOf, visitorNameOf } from "./conversation-note";

function conversation(extra: Partial<ConversationView> = {}): ConversationView {
  return {
    id: "conv_noteTest00000001",
    workspace_id: "ws_noteTest0000000001",
    assistant_id: "ast_noteTest000000001",
    channel: "web",
    visitor_id: "v-1",
    status: "resolved",
    human_takeover: false,
    satisfaction_score: null,
    satisfaction_comment: null,
    language: "en",
    metadata: {},
    verified: false,
    identity: null,
    created_at: "2026-12-06T10:00:00.000Z",
    updated_at: "2026-12-06T10:05:00.000Z",
    ...extra,
  };
}

const message = (sender: MessageView["sender_type"], content: string) => ({ sender_type: sender, content }) as MessageView;

describe("the HubSpot note of a conversation", () => {
  it("escapes what visitors wrote, so a message cannot add markup or links to the contact's timeline", () => {
    const html = conversationNote(
      "resolved",
      conversation({ satisfaction_score: 2, satisfaction_comment: '<img src=x onerror="alert(1)">' }),
      [message("visitor", '<a href="https://evil.test">click</a> & more'), message("assistant", "Sure."), message("visitor", "Thanks <b>a lot</b>")],
      { transcriptUrl: "https://dash.example.com/conversations/conv_noteTest00000001" },
    );
    expect(html).not.toMatch(/<a href="https:\/\/evil|<img|<b>/);
    expect(html).toContain("Question: &#60;a href=&#34;https://evil.test&#34;&#62;click&#60;/a&#62; &#38; more");
    expect(html).toContain("Latest message: Thanks &#60;b&#62;a lot&#60;/b&#62;");
    expect(html).toContain("CSAT: 2/5");
    expect(html).toContain('<a href="https://dash.example.com/conversations/conv_noteTest00000001">');
    expect(html).toContain("(web, 3 messages)");
  });

  it("says why an escalation was logged, and that an unrated conversation was not rated", () => {
    const html = conversationNote("escalated", conversation(), [message("visitor", "I want a person")], {
      transcriptUrl: "https://dash.example.com/c",
      escalationReason: "the customer asked for a person",
    });
    expect(html).toContain("escalated to the team");
    expect(html).toContain("Reason: the customer asked for a person");
    expect(html).toContain("CSAT: not rated");
    expect(html).not.toContain("Latest message"); // the only message is the question
  });
});

describe("who the visitor is, for the CRM", () => {
  it("prefers the verified email, then the one the visitor gave, then an email channel's sender", () => {
    const verified = conversation({ verified: true, identity: { user_id: "u1", email: "Proved@Example.com" }, metadata: { email: "typed@example.com" } });
    expect(visitorEmailOf(verified)).toBe("proved@example.com");
    expect(visitorEmailOf(conversation({ metadata: { email: " typed@example.com " } }))).toBe("typed@example.com");
    expect(visitorEmailOf(conversation({ visitor_id: "email:sender@example.org", channel: "email" }))).toBe("sender@example.org");
    expect(visitorEmailOf(conversation({ metadata: { email: "not an email" } }))).toBeNull();
    expect(visitorEmailOf(conversation())).toBeNull();
  });

  it("splits a name into first and last for a new contact", () => {
    expect(visitorNameOf(conversation({ metadata: { name: "Ada King Lovelace" } }))).toEqual({ firstname: "Ada", lastname: "King Lovelace" });
    expect(visitorNameOf(conversation({ identity: { user_id: "u", name: "Grace" }, verified: true }))).toEqual({ firstname: "Grace" });
    expect(visitorNameOf(conversation())).toEqual({});
  });
});
