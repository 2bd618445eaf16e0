import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { findOrStartConversation } from "../src/channels/inbound-conversation";
import { replyTargetMetadata, type InboundMessageJob, type ReplyTarget } from "../src/channels/jobs";
import worker from "../src/index";
import { call } from "./helpers";
import { configure, fakeBase, messagesOf, providerLog, scenario, shopWorkspace } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS } from "./providers-fixtures";

async function deliver(queue: string, job: InboundMessageJob, attempts: number) {
  const batch = createMessageBatch<InboundMessageJob>(queue, [{ id: `m-${attempts}`, timestamp: new Date(), attempts, body: job }]);
  const retry = vi.spyOn(batch.messages[0]!, "retry");
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  return { ...result, retryDelays: retry.mock.calls.map(([o]) => o?.delaySeconds) };
}

describe("channel answers on the outbound queue", () => {
  it("retries a Twilio 500 with backoff, then sends the stored answer (not a new one), and marks dead letters", async () => {
    const ws = await shopWorkspace("Retry");
    const scn = scenario("twilio-500");
    await configure(ws.token, "whatsapp", {
      config: { account_sid: CREDS.twilioAccountSid, from_number: "whatsapp:+14155238886", assistant_id: ws.assistant.id, api_base_url: `${fakeBase(scn, "500,ok")}/twilio` },
      secrets: { auth_token: CREDS.twilioAuthToken },
    });
    const reply: ReplyTarget = { channel: "whatsapp", to: "whatsapp:+14155550199", from: "whatsapp:+14155238886" };
    const conv = await findOrStartConversation(env, {
      workspace_id: ws.workspaceId,
      assistant_id: ws.assistant.id,
      channel: "whatsapp",
      external_ref: reply.to,
      visitor_id: reply.to,
      metadata: replyTargetMetadata(reply),
    });
    const job: InboundMessageJob = {
      type: "inbound.message",
      workspace_id: ws.workspaceId,
      conversation_id: conv.id,
      channel: "whatsapp",
      event_id: "SM00000000000000000000000000000500",
      text: "How long does standard shipping take?",
      origin: "http://api.test",
      reply,
    };

    const first = await deliver("edgedesk-outbound", job, 1);
    expect(first.retryMessages).toEqual([{ msgId: "m-1" }]);
    expect(first.retryDelays).toEqual([10]);
    const failing = await call("GET", `/api/v1/conversations/${conv.id}`, { token: ws.token });
    expect(failing.body.metadata.delivery_error).toMatch(/^twilio: twilio answered 500/);

    const second = await deliver("edgedesk-outbound", job, 2);
    expect(second.explicitAcks).toEqual(["m-2"]);
    const sends = (await providerLog(scn)).filter((r) => r.path.endsWith("/Messages.json"));
    expect(sends.map((s) => s.status)).toEqual([500, 201]);
    expect(sends[1]!.body).toEqual(sends[0]!.body);
    const messages = await messagesOf(ws.token, conv.id);
    expect(messages.map((m) => m.sender_type)).toEqual(["visitor", "assistant"]);
    const healed = await call("GET", `/api/v1/conversations/${conv.id}`, { token: ws.token });
    expect(healed.body.metadata.delivery_error).toBeUndefined();

    // Redelivered after success: nothing is sent again.
    expect((await deliver("edgedesk-outbound", job, 3)).explicitAcks).toEqual(["m-3"]);
    expect((await providerLog(scn)).filter((r) => r.path.endsWith("/Messages.json"))).toHaveLength(2);

    const dead = await deliver("edgedesk-outbound-dlq", job, 9);
    expect(dead.ackAll).toBe(true);
    const marked = await call("GET", `/api/v1/conversations/${conv.id}`, { token: ws.token });
    expect(marked.body.metadata.delivery_error).toBe("channel: reply gave up after 9 attempts");
  });

  it("acknowledges without retrying when the channel is no longer configured", async () => {
    const ws = await shopWorkspace("Gone");
    const reply: ReplyTarget = { channel: "slack", slack_channel: "C0GONE", thread_ts: "1.2" };
    const conv = await findOrStartConversation(env, {
      workspace_id: ws.workspaceId,
      assistant_id: ws.assistant.id,
      channel: "slack",
      external_ref: "T:C0GONE:1.2",
      visitor_id: "slack:T:U1",
      metadata: replyTargetMetadata(reply),
    });
    const job: InboundMessageJob = {
      type: "inbound.message",
      workspace_id: ws.workspaceId,
      conversation_id: conv.id,
      channel: "slack",
      event_id: "Ev0GONE",
      text: "How long does standard shipping take?",
      origin: "http://api.test",
      reply,
    };
    const result = await deliver("edgedesk-outbound", job, 1);
    expect(result.explicitAcks).toEqual(["m-1"]);
    expect(result.retryMessages).toEqual([]);
  });
});
