import { describe, expect, it } from "vitest";
import { parseMailbox, parseMessageIds } from "./email/addresses";
import { isAutomated, readInboundEmail } from "./email/inbound-parse";
import { extractReply, htmlToText } from "./email/reply-text";
import { replySubject, threadOf } from "./email/threading";
import { parseRetryAfter, ProviderError, providerFetch, retryDelaySeconds } from "./provider-error";
import { readSlackPayload } from "./slack/events";
import { fromSlackText, toSlackMrkdwn } from "./slack/format";
import { splitText } from "./split-text";
import { toWhatsAppText, WHATSAPP_MAX_CHARS, whatsAppMessages } from "./whatsapp/format";
import { satisfactionScore } from "./zendesk/webhook";

describe("splitting answers for channels", () => {
  it("keeps WhatsApp messages within 1,600 characters, breaking at paragraphs, then sentences, then words", () => {
    const paragraph = "Standard shipping takes 3 to 5 business days within the EU. ".repeat(12).trim();
    const answer = [paragraph, paragraph, paragraph].join("\n\n");
    const parts = whatsAppMessages(answer);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(WHATSAPP_MAX_CHARS);
    for (const p of parts) expect(p).toMatch(/\.$/); // every part ends on a sentence
    expect(parts.join(" ").replace(/\s+/g, " ")).toBe(answer.replace(/\s+/g, " "));
  });

  it("cuts a single over-long word only as a last resort, never inside a surrogate pair", () => {
    const parts = splitText("😀".repeat(1_000), 1_600);
    expect(parts.every((p) => p.length <= 1_600)).toBe(true);
    expect(parts.join("")).toBe("😀".repeat(1_000));
    expect(parts.every((p) => !/[\ud800-\udbff]$/.test(p))).toBe(true);
  });

  it("writes Markdown as WhatsApp and Slack show it", () => {
    expect(toWhatsAppText("**Returns**: see [our policy](https://x.test/r)\n- one")).toBe("*Returns*: see our policy (https://x.test/r)\n• one");
    expect(toSlackMrkdwn("**Bold** <tag> & [link](https://x.test/a)")).toBe("*Bold* &lt;tag&gt; &amp; <https://x.test/a|link>");
    expect(fromSlackText("<@U0BOT> where is <https://x.test|my order> &amp; refund?", "U0BOT")).toBe("where is my order (https://x.test) & refund?");
  });
});

describe("Slack events", () => {
  const envelope = (event: Record<string, unknown>) =>
    JSON.stringify({
      type: "event_callback",
      team_id: "T1",
      event_id: "Ev1",
      authorizations: [{ user_id: "UBOT", is_bot: true }],
      event: { type: "message", channel: "C1", user: "U1", text: "hi", ts: "100.1", ...event },
    });

  it("answers people in a thread of their own, and ignores bots, edits and the bot itself", () => {
    expect(readSlackPayload(envelope({}))).toMatchObject({ kind: "message", thread_ts: "100.1", text: "hi" });
    expect(readSlackPayload(envelope({ thread_ts: "99.9" }))).toMatchObject({ kind: "message", thread_ts: "99.9" });
    expect(readSlackPayload(envelope({ channel: "D1", channel_type: "im" }))).toMatchObject({ kind: "message", thread_ts: null });
    expect(readSlackPayload(envelope({ bot_id: "B1" }))).toMatchObject({ kind: "ignored" });
    expect(readSlackPayload(envelope({ subtype: "message_changed" }))).toMatchObject({ kind: "ignored" });
    expect(readSlackPayload(envelope({ edited: { user: "U1", ts: "101.0" } }))).toMatchObject({ kind: "ignored" });
    expect(readSlackPayload(envelope({ user: "UBOT" }))).toMatchObject({ kind: "ignored", reason: "own message" });
    expect(readSlackPayload(JSON.stringify({ type: "url_verification", challenge: "abc" }))).toEqual({ kind: "url_verification", challenge: "abc" });
    expect(readSlackPayload("not json")).toEqual({ kind: "invalid" });
  });
});

describe("email", () => {
  it("strips quoted history and signatures from replies", () => {
    const gmail = "Is the blue one back in stock?\n\nThanks,\nAnn\n\nOn Tue, 4 Mar 2025 at 10:02, Acme Support <help@acme.test>\nwrote:\n> Hello Ann,\n> it is sold out.";
    expect(extractReply(gmail)).toBe("Is the blue one back in stock?");
    const outlook = "Can I return it?\r\n\r\nFrom: Acme Support <help@acme.test>\r\nSent: Tuesday, March 4, 2025 10:02\r\nTo: Ann\r\nSubject: RE: order\r\n\r\nold text";
    expect(extractReply(outlook)).toBe("Can I return it?");
    expect(extractReply("Where is my parcel?\n-- \nAnn Lee\nACME Corp")).toBe("Where is my parcel?");
    expect(extractReply("Where is my parcel?\n\nSent from my iPhone")).toBe("Where is my parcel?");
    expect(extractReply("Bonjour, où est mon colis ?\n\nLe mar. 4 mars 2025 à 10:02, Acme <help@acme.test> a écrit :\n> Bonjour")).toBe("Bonjour, où est mon colis ?");
    expect(htmlToText('<div>Hi<br>there &amp; you</div><blockquote>old</blockquote><div class="gmail_quote">On … wrote</div>')).toBe("Hi\nthere & you");
  });

  it("threads by the thread's first Message-ID and the sender, and recognises our own ids", () => {
    const first = threadOf("ann@x.test", { messageId: "<a1@mail.x.test>", inReplyTo: null, references: null });
    expect(first).toMatchObject({ externalRef: "ann@x.test|<a1@mail.x.test>", conversationHint: null, references: ["<a1@mail.x.test>"] });
    const reply = threadOf("ann@x.test", {
      messageId: "<a2@mail.x.test>",
      inReplyTo: "<conv_abcdefgh12345678.k9@acme.test>",
      references: "<a1@mail.x.test> <conv_abcdefgh12345678.k9@acme.test>",
    });
    expect(reply.externalRef).toBe(first.externalRef);
    expect(reply.conversationHint).toBe("conv_abcdefgh12345678");
    expect(reply.references).toEqual(["<a1@mail.x.test>", "<conv_abcdefgh12345678.k9@acme.test>", "<a2@mail.x.test>"]);
    expect(replySubject("Order 42")).toBe("Re: Order 42");
    expect(replySubject("RE: Order 42")).toBe("RE: Order 42");
    expect(parseMailbox('"Lee, Ann" <Ann@X.test>')).toEqual({ email: "ann@x.test", name: "Lee, Ann" });
    expect(parseMessageIds("<a@b> <c@d>")).toEqual(["<a@b>", "<c@d>"]);
  });

  it("reads SendGrid Inbound Parse fields and recognises automatic mail", () => {
    const form = new FormData();
    form.set("from", "Ann <ann@x.test>");
    form.set("to", "help@acme.test");
    form.set("subject", "Order");
    form.set("text", "Hi");
    form.set("headers", "Message-ID: <a1@x.test>\r\nAuto-Submitted: auto-replied\r\nReferences: <r1@x.test>\r\n <r2@x.test>");
    form.set("envelope", JSON.stringify({ from: "ann@x.test", to: ["help@acme.test"] }));
    form.set("attachments", "1");
    form.set("attachment1", new File([new Uint8Array([1, 2])], "a.bin"));
    const email = readInboundEmail(form)!;
    expect(email).toMatchObject({ from: { email: "ann@x.test", name: "Ann" }, to: ["help@acme.test"], subject: "Order", text: "Hi" });
    expect(email.headers.get("references")).toBe("<r1@x.test> <r2@x.test>");
    expect(email.attachments).toHaveLength(1);
    expect(isAutomated(email)).toBe(true);
  });
});

describe("provider failures", () => {
  it("reads Retry-After as seconds or a date, and waits at least that long", () => {
    expect(parseRetryAfter("30")).toBe(30);
    expect(parseRetryAfter(new Date(Date.now() + 90_000).toUTCString())).toBeGreaterThanOrEqual(89);
    expect(parseRetryAfter("soon")).toBeNull();
    expect(retryDelaySeconds(new ProviderError("slack", 429, "slow down", 42), 1)).toBe(42);
    expect(retryDelaySeconds(new ProviderError("zendesk", 500, "boom"), 1)).toBe(10);
    expect(retryDelaySeconds(new ProviderError("zendesk", 500, "boom"), 3)).toBe(40);
    expect(retryDelaySeconds(new ProviderError("zendesk", 500, "boom"), 30)).toBe(900);
  });

  it("turns a provider's 429 into a retryable error carrying Retry-After, and a 401 into a permanent one", async () => {
    const fake = (status: number, headers: Record<string, string> = {}) =>
      (async () => new Response(JSON.stringify({ code: 20429, message: "Too Many Requests" }), { status, headers })) as unknown as typeof fetch;
    const limited = await providerFetch("twilio", "https://api.twilio.test/x", {}, fake(429, { "retry-after": "7" })).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ status: 429, retryAfterSeconds: 7, retryable: true, code: "20429" });
    const refused = await providerFetch("twilio", "https://api.twilio.test/x", {}, fake(401)).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 401, retryable: false });
  });
});

describe("Zendesk satisfaction", () => {
  it("maps good/bad ratings and numeric scores to 0..5", () => {
    expect(satisfactionScore("Good, I'm satisfied")).toBe(5);
    expect(satisfactionScore("bad")).toBe(1);
    expect(satisfactionScore("4")).toBe(4);
    expect(satisfactionScore("Offered")).toBeNull();
    expect(satisfactionScore(9)).toBeNull();
  });
});
