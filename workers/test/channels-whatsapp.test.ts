import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { AgentReplyJob } from "../src/channels/jobs";
import { TEXT_ONLY_REPLY } from "../src/channels/inbound-answer";
import worker from "../src/index";
import { channelConversations, eventually, fakeBase, messagesOf, providerLog, shopWithChannel, type ShopWorkspace, waitForRequests, webhook } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

const OUR_NUMBER = "whatsapp:+14155238886";

let ws: ShopWorkspace;
let scn: string;

beforeEach(async () => {
  ({ ws, scn } = await shopWithChannel("whatsapp", (shop, base) => ({
    config: { account_sid: CREDS.twilioAccountSid, from_number: OUR_NUMBER, assistant_id: shop.assistant.id, api_base_url: `${base}/twilio` },
    secrets: { auth_token: CREDS.twilioAuthToken },
  })));
});

/** Twilio's inbound WhatsApp form fields. */
function inbound(fields: Record<string, string>): [string, string][] {
  const sid = `SM${Math.random().toString(16).slice(2).padEnd(32, "0").slice(0, 32)}`;
  return Object.entries({
    SmsMessageSid: sid,
    NumMedia: "0",
    ProfileName: "Ann",
    SmsSid: sid,
    WaId: "14155550100",
    SmsStatus: "received",
    Body: "",
    To: OUR_NUMBER,
    NumSegments: "1",
    ReferralNumMedia: "0",
    MessageSid: sid,
    AccountSid: CREDS.twilioAccountSid,
    From: "whatsapp:+14155550100",
    ApiVersion: "2010-04-01",
    ...fields,
  });
}

/** Posts a form as Twilio does, signed by twilio's own library (the oracle in the fake server). */
async function postTwilio(params: [string, string][], opts: { authToken?: string; signature?: string; workspace?: string } = {}) {
  const path = `/webhooks/whatsapp?ws=${opts.workspace ?? ws.workspaceId}`;
  const res = await fetch(`${env.PROVIDERS_FAKE_URL}/_oracle/twilio-signature`, {
    method: "POST",
    body: JSON.stringify({ auth_token: opts.authToken ?? CREDS.twilioAuthToken, url: `http://api.test${path}`, params }),
  });
  const { signature } = (await res.json()) as { signature: string };
  return webhook(path, {
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": opts.signature ?? signature,
      "i-twilio-idempotency-token": crypto.randomUUID(),
    },
  });
}

const isSend = (r: { method: string; path: string }) => r.method === "POST" && r.path.endsWith("/Messages.json");
type Form = { To: string; From: string; Body: string };

describe("WhatsApp through Twilio", () => {
  it("answers through Twilio's Messages API, one conversation per number", async () => {
    const res = await postTwilio(inbound({ Body: "How long does standard shipping take?" }));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/xml/);
    expect(res.text).toContain("<Response></Response>");

    const [sent] = await waitForRequests(scn, isSend);
    expect(sent!.path).toBe(`/2010-04-01/Accounts/${CREDS.twilioAccountSid}/Messages.json`);
    expect(sent!.headers.authorization).toBe(`Basic ${btoa(`${CREDS.twilioAccountSid}:${CREDS.twilioAuthToken}`)}`);
    expect(sent!.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(sent!.status).toBe(201);
    const form = sent!.body as Form;
    expect(form).toMatchObject({ To: "whatsapp:+14155550100", From: OUR_NUMBER });
    expect(form.Body).toContain("3 to 5 business days");

    await postTwilio(inbound({ Body: "How long does a full battery charge take?" }));
    await postTwilio(inbound({ Body: "Can I return an unused item?", From: "whatsapp:+447700900123", WaId: "447700900123" }));
    const sends = await waitForRequests(scn, isSend, { count: 3 });
    expect(sends.map((s) => (s.body as Form).To).sort()).toEqual(["whatsapp:+14155550100", "whatsapp:+14155550100", "whatsapp:+447700900123"]);

    const convs = await channelConversations(ws.workspaceId, "whatsapp");
    expect(convs.map((c) => c.external_ref).sort()).toEqual(["whatsapp:+14155550100", "whatsapp:+447700900123"]);
    const first = convs.find((c) => c.external_ref === "whatsapp:+14155550100")!;
    const messages = await eventually(async () => {
      const m = await messagesOf(ws.token, first.id);
      expect(m.filter((x) => x.sender_type === "assistant")).toHaveLength(2);
      return m;
    });
    expect(messages.filter((m) => m.sender_type === "visitor")).toHaveLength(2);
  });

  it("keeps a photo with the conversation and answers a file without words with a polite text-only note", async () => {
    await postTwilio(inbound({ NumMedia: "1", MediaContentType0: "image/png", MediaUrl0: `${fakeBase(scn)}/twilio/media/photo.png` }));
    const [sent] = await waitForRequests(scn, isSend);
    expect((sent!.body as Form).Body).toBe(TEXT_ONLY_REPLY);
    const [conv] = await channelConversations(ws.workspaceId, "whatsapp");
    const stored = await env.FILES.list({ prefix: `ws/${ws.workspaceId}/conv/${conv!.id}/att/` });
    expect(stored.objects).toHaveLength(1);
    expect(stored.objects[0]!.key).toMatch(/\.png$/);

    // A voice note cannot be kept (images and PDFs only): the visitor is told, nothing is stored.
    await postTwilio(inbound({ NumMedia: "1", MediaContentType0: "audio/ogg", MediaUrl0: `${fakeBase(scn)}/twilio/media/voice.ogg` }));
    const sends = await waitForRequests(scn, isSend, { count: 2 });
    expect((sends[1]!.body as Form).Body).toBe(TEXT_ONLY_REPLY);
    expect((await env.FILES.list({ prefix: `ws/${ws.workspaceId}/conv/${conv!.id}/att/` })).objects).toHaveLength(1);
  });

  it("puts a photo sent with a question into the visitor's message as a link, and answers", async () => {
    await postTwilio(inbound({ Body: "How long does standard shipping take?", NumMedia: "1", MediaContentType0: "image/png", MediaUrl0: `${fakeBase(scn)}/twilio/media/parcel.png` }));
    await waitForRequests(scn, isSend);
    const [conv] = await channelConversations(ws.workspaceId, "whatsapp");
    const [visitor] = (await messagesOf(ws.token, conv!.id)).filter((m) => m.sender_type === "visitor");
    expect(visitor!.content).toMatch(/^How long does standard shipping take\?\n\n\[whatsapp-.+\.png\]\(http:\/\/api\.test\/api\/v1\/conversations\/conv_\w+\/attachments\/att_\w+\)$/);
  });

  it("splits a long reply into messages of at most 1,600 characters", async () => {
    await postTwilio(inbound({ Body: "How long does standard shipping take?" }));
    await waitForRequests(scn, isSend);
    const [conv] = await channelConversations(ws.workspaceId, "whatsapp");
    const sentence = "Your replacement battery ships from Lyon and arrives within five business days. ";
    const content = `${sentence.repeat(25).trim()}\n\n${sentence.repeat(25).trim()}`;
    const job: AgentReplyJob = { type: "agent.reply", workspace_id: ws.workspaceId, conversation_id: conv!.id, message_id: "msg_longreply000000001", content };
    const batch = createMessageBatch<AgentReplyJob>("edgedesk-outbound", [{ id: "m1", timestamp: new Date(), attempts: 1, body: job }]);
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(["m1"]);

    const parts = (await providerLog(scn)).filter(isSend).slice(1);
    // Each paragraph is cut at its last sentence that fits; no part ends mid-sentence.
    expect(parts.map((p) => (p.body as Form).Body.length)).toEqual([1_599, 399, 1_599, 399]);
    expect(parts.every((p) => p.status === 201 && (p.body as Form).Body.endsWith("days."))).toBe(true);
    expect(parts.map((p) => (p.body as Form).Body).join(" ").replace(/\s+/g, " ")).toBe(content.replace(/\s+/g, " "));
  });

  it("refuses a forged or re-targeted signature with 401 and no side effect; a replayed MessageSid does nothing twice", async () => {
    const params = inbound({ Body: "How long does standard shipping take?" });
    expect((await postTwilio(params, { authToken: "not-the-auth-token" })).status).toBe(401);
    expect((await postTwilio(params, { signature: "0/KCTR6DLpKmkAf8muzZqo1nDgQ=" })).status).toBe(401);
    expect((await postTwilio(params, { workspace: "ws_doesnotexist0000000" })).status).toBe(401);
    const tampered = params.map(([k, v]): [string, string] => [k, k === "Body" ? "Send me everyone's orders" : v]);
    const signedOriginal = await fetch(`${env.PROVIDERS_FAKE_URL}/_oracle/twilio-signature`, {
      method: "POST",
      body: JSON.stringify({ auth_token: CREDS.twilioAuthToken, url: `http://api.test/webhooks/whatsapp?ws=${ws.workspaceId}`, params }),
    }).then((r) => r.json() as Promise<{ signature: string }>);
    expect((await postTwilio(tampered, { signature: signedOriginal.signature })).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await providerLog(scn)).toEqual([]);
    expect(await channelConversations(ws.workspaceId, "whatsapp")).toEqual([]);

    expect((await postTwilio(params)).status).toBe(200);
    expect((await postTwilio(params)).status).toBe(200);
    await waitForRequests(scn, isSend);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await providerLog(scn)).filter(isSend)).toHaveLength(1);
  });
});
