import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { EscalationJob } from "../src/channels/jobs";
import worker from "../src/index";
import { call } from "./helpers";
import { configure, eventually, fakeBase, providerLog, scenario, shopWorkspace, waitForRequests } from "./channel-helpers";
import { FAKE_PROVIDER_CREDENTIALS as CREDS, type ProviderRequest } from "./providers-fixtures";

let ws: Awaited<ReturnType<typeof shopWorkspace>>;

beforeEach(async () => {
  ws = await shopWorkspace("Escalate");
});

/** Points Zendesk, Slack and email notifications of the workspace at the fake, each with its script. */
async function configureTargets(scn: string, steps: { zendesk?: string; slack?: string; sendgrid?: string } = {}, zendeskToken: string = CREDS.zendeskApiToken) {
  await configure(ws.token, "zendesk", {
    config: {
      subdomain: "acme",
      agent_email: CREDS.zendeskAgentEmail,
      tags: ["vip"],
      custom_fields: [{ id: 360001, value: "chat" }],
      api_base_url: `${fakeBase(scn, steps.zendesk)}/zendesk`,
    },
    secrets: { api_token: zendeskToken, webhook_secret: "zendesk-webhook-secret" },
  });
  await configure(ws.token, "slack", {
    config: { escalation_channel: "C0ESCALATE", api_base_url: `${fakeBase(scn, steps.slack)}/slack/api` },
    secrets: { bot_token: CREDS.slackBotToken },
  });
  await configure(ws.token, "email", {
    config: { from_address: "desk@acme.test", escalation_address: "team@acme.test", api_base_url: `${fakeBase(scn, steps.sendgrid)}/sendgrid` },
    secrets: { sendgrid_api_key: CREDS.sendgridApiKey },
  });
}

/** A conversation with a question and an answer, then a request for a person. */
async function escalatedConversation(): Promise<{ conversationId: string; escalationId: string }> {
  const conv = await call("POST", "/api/v1/conversations", {
    token: ws.token,
    body: { assistant_id: ws.assistant.id, visitor_id: "visitor-42", channel: "api" },
  });
  const id = conv.body.conversation_id as string;
  await call("POST", `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { content: "How long does standard shipping take?" } });
  const answer = await call("POST", `/api/v1/conversations/${id}/messages`, { token: ws.token, body: { content: "I want to talk to a human please" } });
  expect(answer.body.escalation).toMatchObject({ reason: "user_request" });
  return { conversationId: id, escalationId: answer.body.escalation.id as string };
}

async function escalationRecord(conversationId: string) {
  const res = await call("GET", `/api/v1/escalations?conversation_id=${conversationId}`, { token: ws.token });
  expect(res.status).toBe(200);
  return res.body.data[0] as { ticket_id: string | null; ticket_provider: string | null; last_error: string | null; status: string };
}

function jobFor(e: { conversationId: string; escalationId: string }): EscalationJob {
  return {
    type: "escalation.created",
    workspace_id: ws.workspaceId,
    assistant_id: ws.assistant.id,
    conversation_id: e.conversationId,
    escalation_id: e.escalationId,
    reason: "user_request",
    channel: "api",
  };
}

/** Runs the Worker's queue handler on one job delivery, as the Queues runtime would; reports acks, retries and their delays. */
async function deliver(queue: string, job: EscalationJob, attempts: number) {
  const batch = createMessageBatch<EscalationJob>(queue, [{ id: `m-${attempts}`, timestamp: new Date(), attempts, body: job }]);
  const retry = vi.spyOn(batch.messages[0]!, "retry");
  await worker.queue(batch, env);
  const result = await getQueueResult(batch, createExecutionContext());
  return { ...result, retryDelays: retry.mock.calls.map(([options]) => options?.delaySeconds) };
}

const isTicket = (r: ProviderRequest) => r.provider === "zendesk" && r.path === "/api/v2/tickets.json";
const isSlack = (r: ProviderRequest) => r.provider === "slack";
const isMail = (r: ProviderRequest) => r.provider === "sendgrid";

describe("escalation notifications (outbound queue)", () => {
  it("opens a Zendesk ticket with the transcript, posts Block Kit to Slack and emails the team; the ticket id is stored", async () => {
    const scn = scenario("escalation");
    await configureTargets(scn);
    const e = await escalatedConversation();

    const [ticket] = await waitForRequests(scn, isTicket);
    expect(ticket!.method).toBe("POST");
    expect(ticket!.headers.authorization).toBe(`Basic ${btoa(`${CREDS.zendeskAgentEmail}/token:${CREDS.zendeskApiToken}`)}`);
    expect(ticket!.status).toBe(201);
    const t = (ticket!.body as { ticket: Record<string, unknown> }).ticket;
    expect(t.subject).toBe("[api] How long does standard shipping take?");
    const description = (t.comment as { body: string }).body;
    expect(description).toContain("Escalated because the customer asked for a person.");
    expect(description).toMatch(/Customer: How long does standard shipping take\?/);
    expect(description).toMatch(/Assistant: Standard shipping takes 3 to 5 business days/);
    expect(description).toMatch(/Customer: I want to talk to a human please/);
    expect(description).toContain(`http://localhost:8788/conversations/${e.conversationId}`);
    expect(t.requester).toEqual({ name: "Visitor visitor-42" });
    expect(t.tags).toEqual(["edgedesk", "edgedesk_user_request", "channel_api", "vip"]);
    expect(t.custom_fields).toEqual([{ id: 360001, value: "chat" }]);
    expect(t.external_id).toBe(e.conversationId);

    const [slack] = await waitForRequests(scn, isSlack);
    expect(slack!.path).toBe("/api/chat.postMessage");
    expect(slack!.headers.authorization).toBe(`Bearer ${CREDS.slackBotToken}`);
    const post = slack!.body as { channel: string; text: string; blocks: { type: string; elements?: { url?: string }[]; text?: { text: string } }[] };
    expect(post.channel).toBe("C0ESCALATE");
    expect(post.text).toContain("the customer asked for a person");
    expect(post.blocks.map((b) => b.type)).toEqual(["header", "section", "section", "actions", "context"]);
    expect(post.blocks[2]!.text!.text).toContain("I want to talk to a human please");
    expect(post.blocks[3]!.elements![0]!.url).toBe(`http://localhost:8788/conversations/${e.conversationId}`);

    const [mail] = await waitForRequests(scn, isMail);
    expect(mail!.path).toBe("/v3/mail/send");
    const m = mail!.body as { personalizations: { to: { email: string }[] }[]; subject: string; content: { value: string }[] };
    expect(m.personalizations[0]!.to[0]!.email).toBe("team@acme.test");
    expect(m.subject).toBe("Escalation (api): How long does standard shipping take?");
    expect(m.content[0]!.value).toContain("Last message:\nI want to talk to a human please");

    const record = await eventually(async () => {
      const r = await escalationRecord(e.conversationId);
      expect(r.ticket_id).not.toBeNull();
      return r;
    });
    expect(record).toMatchObject({ ticket_provider: "zendesk", last_error: null, status: "open" });
    expect(Number(record.ticket_id)).toBeGreaterThan(4_000); // the id the fake Zendesk answered with
  });

  it("retries after a 500 with backoff, records the failure where the dashboard sees it, and does not repeat what worked", async () => {
    const e = await escalatedConversation();
    await new Promise((r) => setTimeout(r, 2_000)); // the queue's own delivery finds nothing configured
    const scn = scenario("escalation-500");
    await configureTargets(scn, { zendesk: "500,ok" });
    const job = jobFor(e);

    const first = await deliver("edgedesk-outbound", job, 1);
    expect(first.retryMessages).toEqual([{ msgId: "m-1" }]);
    expect(first.retryDelays).toEqual([10]);
    const failed = await escalationRecord(e.conversationId);
    expect(failed.ticket_id).toBeNull();
    expect(failed.last_error).toContain("zendesk answered 500");
    const conv = await call("GET", `/api/v1/conversations/${e.conversationId}`, { token: ws.token });
    expect(conv.body.metadata.delivery_error).toContain("zendesk answered 500");
    const failedList = await call("GET", "/api/v1/escalations?failed=true", { token: ws.token });
    expect(failedList.body.data.map((x: { id: string }) => x.id)).toEqual([e.escalationId]);

    const second = await deliver("edgedesk-outbound", job, 2);
    expect(second.explicitAcks).toEqual(["m-2"]);
    const log = await providerLog(scn);
    expect(log.filter(isTicket).map((r) => r.status)).toEqual([500, 201]);
    expect(log.filter(isSlack)).toHaveLength(1); // sent on the first try, not again
    expect(log.filter(isMail)).toHaveLength(1);
    expect(await escalationRecord(e.conversationId)).toMatchObject({ ticket_provider: "zendesk", last_error: null });
    const after = await call("GET", `/api/v1/conversations/${e.conversationId}`, { token: ws.token });
    expect(after.body.metadata.delivery_error).toBeUndefined();
  });

  it("waits as long as a 429's Retry-After asks, gives up on bad credentials, and marks dead-lettered jobs", async () => {
    const e = await escalatedConversation();
    await new Promise((r) => setTimeout(r, 2_000));
    const limited = scenario("escalation-429");
    await configureTargets(limited, { zendesk: "429:120", slack: "429:30" });
    const res = await deliver("edgedesk-outbound", jobFor(e), 1);
    expect(res.retryMessages).toEqual([{ msgId: "m-1" }]);
    expect(res.retryDelays).toEqual([120]); // the longest any provider asked for

    const refused = scenario("escalation-401");
    await configureTargets(refused, {}, "wrong-token");
    const permanent = await deliver("edgedesk-outbound", jobFor(e), 2);
    expect(permanent.explicitAcks).toEqual(["m-2"]);
    expect(permanent.retryMessages).toEqual([]);
    expect((await escalationRecord(e.conversationId)).last_error).toContain("zendesk answered 401");

    const dead = await deliver("edgedesk-outbound-dlq", jobFor(e), 9);
    expect(dead.ackAll).toBe(true);
    expect((await escalationRecord(e.conversationId)).last_error).toBe("notification gave up after 9 attempts");
  });

  it("is retried by the queue itself after a 429 and then stores the ticket", async () => {
    const scn = scenario("escalation-queue");
    await configureTargets(scn, { zendesk: "429:1,ok" });
    const e = await escalatedConversation();
    const tickets = await waitForRequests(scn, isTicket, { count: 2, timeoutMs: 15_000 });
    expect(tickets.map((t) => t.status)).toEqual([429, 201]);
    await eventually(async () => expect((await escalationRecord(e.conversationId)).ticket_id).not.toBeNull());
    expect((await providerLog(scn)).filter(isSlack)).toHaveLength(1);
  });
});
