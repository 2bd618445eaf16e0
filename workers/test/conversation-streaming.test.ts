import { abortAllDurableObjects, env, evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ConversationDO } from "../src/conversation/conversation-do";
import { openSocket, startedConversation, type Event } from "./conversation-helpers";
import { call } from "./helpers";

// In the test configuration Anthropic is a local server that drips one word every 40 ms, and
// OpenAI always answers 429: see vitest.config.ts.
const SLOW = { primary: "anthropic:claude-test" };
const RATE_LIMITED_THEN_SLOW = { primary: "openai:gpt-test", fallback: ["anthropic:claude-test"] };

async function slowConversation(policy: Record<string, unknown> = SLOW) {
  const c = await startedConversation();
  const res = await call("PATCH", `/api/v1/assistants/${c.assistant.id}`, { token: c.session.access_token, body: { model_policy: policy } });
  expect(res.status).toBe(200);
  return c;
}

const deltasOf = (events: Event[], messageId: string) =>
  (events.filter((e) => e.type === "delta" && e.message_id === messageId) as (Event & { seq: number; delta: string })[]);

describe("streaming answers from a provider", () => {
  it("gives a socket that resumes mid-answer the missed part, then the live rest, with no gap or repeat", async () => {
    const c = await slowConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How long do refunds take?", client_id: "r-1" });
    const ack = await a.waitFor((e) => e.type === "ack");
    // Wait until several deltas have streamed, then join late.
    const fifth = await a.waitFor((e) => e.type === "delta" && (e.seq as number) >= 5);
    const answerId = fifth.message_id as string;
    const late = await openSocket(c.conversationId, c.token);
    late.send({ type: "resume", after: ack.message_id });
    await late.waitFor((e) => e.type === "delta" && (e.seq as number) >= 12);
    a.send({ type: "stop" });
    const finalA = await a.waitFor((e) => e.type === "response");
    const finalLate = await late.waitFor((e) => e.type === "response");
    const content = (finalA.message as { content: string; status: string }).content;
    expect(finalLate).toEqual(finalA);

    const lateDeltas = deltasOf(late.events, answerId);
    expect(lateDeltas.map((d) => d.seq)).toEqual(lateDeltas.map((_, i) => i));
    expect(lateDeltas.map((d) => d.delta).join("")).toBe(content);
    expect(deltasOf(a.events, answerId).map((d) => d.delta).join("")).toBe(content);
    a.close();
    late.close();
  });

  it("stops mid-stream on request and keeps the partial answer marked stopped", async () => {
    const c = await slowConversation();
    const a = await openSocket(c.conversationId, c.token);
    const b = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How long do refunds take?" });
    await b.waitFor((e) => e.type === "delta" && (e.seq as number) >= 3);
    b.send({ type: "stop" });
    const res = await a.waitFor((e) => e.type === "response");
    const message = res.message as { status: string; content: string; id: string };
    expect(message.status).toBe("stopped");
    expect(message.content.length).toBeGreaterThan(0);
    expect(message.content.split(" ").length).toBeLessThan(100); // far short of the 200-word answer
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    expect(history.body.data[1]).toMatchObject({ id: message.id, status: "stopped", content: message.content });
    a.close();
    b.close();
  });

  it("finishes the answer when the object is evicted gracefully mid-answer; the socket gets all of it", async () => {
    const c = await slowConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How long do refunds take?" });
    const d = await a.waitFor((e) => e.type === "delta" && (e.seq as number) >= 3);
    const evicted = evictDurableObject(env.CONVERSATION.getByName(c.conversationId));
    const res = await a.waitFor((e) => e.type === "response", { timeoutMs: 15_000 });
    await evicted;
    const message = res.message as { id: string; status: string; content: string };
    expect(message).toMatchObject({ id: d.message_id, status: "complete" });
    expect(deltasOf(a.events, message.id).map((x) => x.delta).join("")).toBe(message.content);
    a.close();
  });

  it("never leaves an answer streaming after the object crashes mid-answer", async () => {
    const c = await slowConversation();
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How long do refunds take?" });
    const d = await a.waitFor((e) => e.type === "delta" && (e.seq as number) >= 3);
    await abortAllDurableObjects();
    // The next call wakes it: the cut-off answer is settled as failed, its partial text kept.
    const history = await call("GET", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token });
    const answer = history.body.data.find((m: { id: string }) => m.id === d.message_id);
    expect(answer.status).toBe("failed");
    expect(answer.content.length).toBeGreaterThan(0);
    const stub = env.CONVERSATION.getByName(c.conversationId);
    const streaming = await runInDurableObject(stub, (_obj: ConversationDO, state) =>
      state.storage.sql.exec("select count(*) as n from messages where status = 'streaming'").one().n,
    );
    expect(streaming).toBe(0);
    // The visitor can carry on: a new question is answered.
    await call("PATCH", `/api/v1/assistants/${c.assistant.id}`, { token: c.session.access_token, body: { model_policy: {} } });
    const next = await call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content: "Refund policy?" } });
    expect(next.body.message.status).toBe("complete");
  });

  it("falls back down the chain when the primary answers 429", async () => {
    const c = await slowConversation(RATE_LIMITED_THEN_SLOW);
    const a = await openSocket(c.conversationId, c.token);
    a.send({ type: "message", content: "How long do refunds take?" });
    await a.waitFor((e) => e.type === "delta" && (e.seq as number) >= 2);
    a.send({ type: "stop" });
    const res = await a.waitFor((e) => e.type === "response");
    expect(res.message).toMatchObject({ model: "anthropic:claude-test", status: "stopped" });
    const log = (await (await fetch(`${env.LLM_FAKE_URL}/conversation-openai/log`)).json()) as unknown[];
    expect(log.length).toBeGreaterThan(0);
    a.close();
  });
});

describe("analytics summary", () => {
  it("counts conversations, messages, escalations, CSAT, latency and unanswered questions", async () => {
    const c = await startedConversation();
    const send = (content: string) =>
      call("POST", `/api/v1/conversations/${c.conversationId}/messages`, { token: c.token, body: { content } });
    await send("How long does standard shipping take?");
    await send("Do you sell tandem saddles?");
    await call("POST", `/api/v1/conversations/${c.conversationId}/resolve`, { token: c.token });
    await call("POST", `/api/v1/conversations/${c.conversationId}/satisfaction`, { token: c.token, body: { score: 4 } });

    // Events travel through the analytics queue in batches; wait for them to land.
    let summary: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) {
      const res = await call("GET", "/api/v1/analytics/summary", { token: c.session.access_token });
      expect(res.status).toBe(200);
      summary = res.body;
      if (summary.csat_responses === 1 && summary.resolution_rate !== null && (summary.messages as number) >= 4) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(summary).toMatchObject({
      conversations: 1,
      messages: 4,
      resolution_rate: 1,
      escalation_rate: 1,
      csat_avg: 4,
      csat_responses: 1,
    });
    expect((summary.latency_ms as { p50: number }).p50).toBeGreaterThanOrEqual(0);
    expect(summary.tokens).toBeGreaterThan(0);
    expect(summary.top_unanswered_questions).toEqual([{ question: "Do you sell tandem saddles?", count: 1 }]);

    const other = await call("GET", `/api/v1/analytics/summary?assistant_id=ast_AAAAAAAAAAAAAAAAAAAA`, { token: c.session.access_token });
    expect(other.body.conversations).toBe(0);
    const bad = await call("GET", "/api/v1/analytics/summary?from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z", { token: c.session.access_token });
    expect(bad.status).toBe(400);
  });
});
