import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { zendeskSignature } from "../src/channels/zendesk/signature";
import { call } from "./helpers";
import { channelConversations, configure, eventually, fakeBase, providerLog, scenario, shopWorkspace, waitForRequests, webhook } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS, type ProviderRequest } from "./providers-fixtures";

const WEBHOOK_SECRET = "zendesk-webhook-signing-secret";
const OUR_NUMBER = "whatsapp:+14155238886";
const VISITOR = "whatsapp:+14155550177";

/** Posts a ticket update as Zendesk's webhook does: signed over timestamp + body. */
async function postZendesk(workspaceId: string, payload: unknown, opts: { timestamp?: string; secret?: string; invocation?: string } = {}) {
  const body = JSON.stringify(payload);
  const timestamp = opts.timestamp ?? new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-zendesk-webhook-id": "01GZ8AYX4H1R0Z3VWBDG7W0SBJ",
    "x-zendesk-webhook-invocation-id": opts.invocation ?? crypto.randomUUID(),
    "x-zendesk-webhook-signature-timestamp": timestamp,
    "x-zendesk-webhook-signature": await zendeskSignature(opts.secret ?? WEBHOOK_SECRET, timestamp, body),
  };
  return webhook(`/webhooks/zendesk?ws=${workspaceId}`, { body, headers });
}

/** A WhatsApp message, signed with twilio's own library through the fake server's oracle. */
async function whatsapp(workspaceId: string, text: string) {
  const sid = `SM${crypto.randomUUID().replace(/-/g, "")}`;
  const params: [string, string][] = [
    ["MessageSid", sid],
    ["AccountSid", CREDS.twilioAccountSid],
    ["From", VISITOR],
    ["To", OUR_NUMBER],
    ["Body", text],
    ["NumMedia", "0"],
  ];
  const path = `/webhooks/whatsapp?ws=${workspaceId}`;
  const { signature } = (await fetch(`${env.PROVIDERS_FAKE_URL}/_oracle/twilio-signature`, {
    method: "POST",
    body: JSON.stringify({ auth_token: CREDS.twilioAuthToken, url: `http://api.test${path}`, params }),
  }).then((r) => r.json())) as { signature: string };
  const res = await webhook(path, {
    body: new URLSearchParams(params).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
  });
  expect(res.status).toBe(200);
}

const isTwilioSend = (r: ProviderRequest) => r.provider === "twilio" && r.path.endsWith("/Messages.json");

describe("Zendesk ticket updates", () => {
  it("relays agents' comments to WhatsApp, resolves the conversation when the ticket is solved and keeps the rating", async () => {
    const ws = await shopWorkspace("Circle");
    const scn = scenario("zendesk-circle");
    await configure(ws.token, "whatsapp", {
      config: { account_sid: CREDS.twilioAccountSid, from_number: OUR_NUMBER, assistant_id: ws.assistant.id, api_base_url: `${fakeBase(scn)}/twilio` },
      secrets: { auth_token: CREDS.twilioAuthToken },
    });
    await configure(ws.token, "zendesk", {
      config: { subdomain: "acme", agent_email: CREDS.zendeskAgentEmail, api_base_url: `${fakeBase(scn)}/zendesk` },
      secrets: { api_token: CREDS.zendeskApiToken, webhook_secret: WEBHOOK_SECRET },
    });

    await whatsapp(ws.workspaceId, "How long does standard shipping take?");
    await waitForRequests(scn, isTwilioSend);
    await whatsapp(ws.workspaceId, "I want to talk to a human");
    const [ticket] = await waitForRequests(scn, (r) => r.path === "/api/v2/tickets.json");
    const t = (ticket!.body as { ticket: { requester: unknown; subject: string } }).ticket;
    expect(t.requester).toEqual({ name: "WhatsApp +14155550177" });
    expect(t.subject).toBe("[whatsapp] How long does standard shipping take?");

    const [conv] = await channelConversations(ws.workspaceId, "whatsapp");
    const escalation = await eventually(async () => {
      const res = await call("GET", `/api/v1/escalations?conversation_id=${conv!.id}`, { token: ws.token });
      expect(res.body.data[0]?.ticket_id).toBeTruthy();
      return res.body.data[0] as { id: string; ticket_id: string };
    });

    // Forged and stale updates change nothing.
    const solved = {
      ticket_id: escalation.ticket_id,
      external_id: conv!.id,
      status: "solved",
      updated_by_id: "381",
      updated_by: "Alex Agent",
      satisfaction_rating: "Good, I'm satisfied",
      satisfaction_comment: "Quick and kind",
    };
    expect((await postZendesk(ws.workspaceId, solved, { secret: "not-the-secret" })).status).toBe(401);
    const staleAt = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    expect((await postZendesk(ws.workspaceId, solved, { timestamp: staleAt })).status).toBe(401);
    expect((await postZendesk("ws_doesnotexist0000000", solved)).status).toBe(401);
    expect((await call("GET", `/api/v1/conversations/${conv!.id}`, { token: ws.token })).body).toMatchObject({ status: "escalated", satisfaction_score: null });

    // An agent's public comment goes back to the visitor's WhatsApp, once even if Zendesk re-sends it.
    const comment = {
      ticket_id: escalation.ticket_id,
      status: "pending",
      comment: { id: "77001", body: "Hi! Your parcel left our Lyon warehouse today.", public: "true", author_id: "381", author_role: "Agent" },
    };
    const relayed = await postZendesk(ws.workspaceId, comment, { invocation: "inv-comment-1" });
    expect(relayed.status).toBe(200);
    expect(relayed.body).toMatchObject({ conversation_id: conv!.id, relayed_comment: true, resolved: false });
    expect((await postZendesk(ws.workspaceId, comment, { invocation: "inv-comment-1" })).body).toEqual({ duplicate: true });
    expect((await postZendesk(ws.workspaceId, comment, { invocation: "inv-comment-2" })).body).toMatchObject({ relayed_comment: false });
    const sends = await waitForRequests(scn, (r) => isTwilioSend(r) && (r.body as { Body: string }).Body.includes("Lyon warehouse today"));
    expect(sends[0]!.body).toMatchObject({ To: VISITOR, From: OUR_NUMBER });
    const messages = await call("GET", `/api/v1/conversations/${conv!.id}/messages?limit=100`, { token: ws.token });
    expect(messages.body.data.at(-1)).toMatchObject({ sender_type: "human_agent", sender_id: "zendesk:381" });

    const done = await postZendesk(ws.workspaceId, solved);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ resolved: true, rated: 5 });
    const after = await call("GET", `/api/v1/conversations/${conv!.id}`, { token: ws.token });
    expect(after.body).toMatchObject({ status: "resolved", satisfaction_score: 5 });
    const resolved = await call("GET", `/api/v1/escalations?conversation_id=${conv!.id}`, { token: ws.token });
    expect(resolved.body.data[0]).toMatchObject({ status: "resolved", resolved_by: "zendesk:381 (Alex Agent)" });
    expect(resolved.body.data[0].resolved_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await providerLog(scn)).filter((r) => isTwilioSend(r) && (r.body as { Body: string }).Body.includes("Lyon warehouse today"))).toHaveLength(1);
  });
});
