import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { likePattern } from "../src/conversation/service";
import { startedConversation } from "./conversation-helpers";
import { call, createSecretKey, signUp } from "./helpers";

/** Starts a conversation in the workspace of `c` with a first visitor message, copied to D1. */
async function conversationSaying(c: Awaited<ReturnType<typeof startedConversation>>, visitorId: string, text: string) {
  const conv = await call("POST", "/api/v1/conversations", {
    token: c.publishableKey,
    headers: { origin: "https://shop.example.com" },
    body: { assistant_id: c.assistant.id, visitor_id: visitorId, channel: "web", initial_message: text },
  });
  expect(conv.status).toBe(201);
  const id = conv.body.conversation_id as string;
  for (let i = 0; i < 50; i++) {
    await env.CONVERSATION.getByName(id).flushNow();
    const row = await env.DB.prepare("select count(*) as n from messages where conversation_id = ?").bind(id).first<{ n: number }>();
    if (row && row.n >= 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return id;
}

describe("inbox search", () => {
  it("finds conversations by the text of their messages, combined with the other filters", async () => {
    const c = await startedConversation();
    const token = c.session.access_token;
    const refund = await conversationSaying(c, "v-refund", "Where is my refund for order #A-1042?");
    const battery = await conversationSaying(c, "v-battery", "My battery will not charge");

    const hit = await call("GET", "/api/v1/conversations?q=REFUND", { token });
    expect(hit.status).toBe(200);
    expect(hit.body.data.map((x: { id: string }) => x.id)).toEqual([refund]);
    expect((await call("GET", `/api/v1/conversations?q=${encodeURIComponent("#A-1042")}`, { token })).body.data).toHaveLength(1);
    expect((await call("GET", "/api/v1/conversations?q=charge&status=active", { token })).body.data.map((x: { id: string }) => x.id)).toEqual([battery]);
    expect((await call("GET", "/api/v1/conversations?q=charge&status=resolved", { token })).body.data).toEqual([]);
    expect((await call("GET", "/api/v1/conversations?q=nothing-like-this", { token })).body.data).toEqual([]);
  });

  it("treats % and _ literally and never matches another workspace's messages", async () => {
    const c = await startedConversation();
    await conversationSaying(c, "v1", "a discount of 100 percent");
    const percent = await call("GET", `/api/v1/conversations?q=${encodeURIComponent("%")}`, { token: c.session.access_token });
    expect(percent.body.data).toEqual([]);
    expect(likePattern("50%_off\\")).toBe("%50\\%\\_off\\\\%");

    const other = await signUp("Other");
    const theirs = await call("GET", "/api/v1/conversations?q=discount", { token: other.access_token });
    expect(theirs.body.data).toEqual([]);
  });

  it("rejects an empty or overlong query", async () => {
    const s = await signUp("Search");
    expect((await call("GET", "/api/v1/conversations?q=", { token: s.access_token })).status).toBe(400);
    expect((await call("GET", `/api/v1/conversations?q=${"x".repeat(201)}`, { token: s.access_token })).status).toBe(400);
  });
});

describe("conversation export", () => {
  it("returns the conversation with every message as a JSON download, audited", async () => {
    const c = await startedConversation();
    await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "How long does standard shipping take?" } });
    await call("POST", `/api/v1/conversations/${c.conversationId}/agent-messages`, { token: c.session.access_token, body: { content: "Anything else?" } });
    const viewer = await createSecretKey(c.session.access_token, "viewer");

    const res = await call("GET", `/api/v1/conversations/${c.conversationId}/export`, { token: viewer.key });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${c.conversationId}.json"`);
    expect(res.body.conversation).toMatchObject({ id: c.conversationId, human_takeover: true });
    expect(res.body.messages.map((m: { sender_type: string }) => m.sender_type)).toEqual(["visitor", "assistant", "human_agent"]);
    expect(res.body.messages[1].sources.length).toBeGreaterThan(0);
    expect(res.body.exported_at).toBeTruthy();

    const audit = await call("GET", "/api/v1/audit-logs", { token: c.session.access_token });
    expect(audit.body.data[0]).toMatchObject({ action: "conversation.exported", target_id: c.conversationId });
  });

  it("is staff only and scoped to the workspace", async () => {
    const c = await startedConversation();
    const other = await signUp("Other");
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}/export`, { token: other.access_token })).status).toBe(404);
    expect((await call("GET", `/api/v1/conversations/${c.conversationId}/export`, { token: c.token })).status).toBe(403);
  });
});
