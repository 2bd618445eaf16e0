import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../index";
import { consumeAnalytics, emitEvent } from "./consumer";
import { createAnalyticsSink } from "./create-sink";
import type { AnalyticsEvent } from "./sink";
import { freshWorkspace, makeEvent } from "../../test/analytics-fixtures";

const ANALYTICS_QUEUE = "edgedesk-analytics";
const WINDOW = { from: "2026-01-01T00:00:00.000Z", to: "2027-01-01T00:00:00.000Z" };

/** A queue delivery of `events`, as the Queues runtime hands it to the Worker. */
function deliveryOf(events: unknown[], attempts = 1) {
  return createMessageBatch<AnalyticsEvent>(
    ANALYTICS_QUEUE,
    events.map((body, i) => ({ id: `msg-${i}`, timestamp: new Date(), attempts, body: body as AnalyticsEvent })),
  );
}

/** Runs the Worker's `queue()` handler on `batch` and reports what it acked or retried. */
async function deliver(batch: MessageBatch<AnalyticsEvent>, bindings: Env) {
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings);
  return getQueueResult(batch, ctx);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("analytics queue consumer", () => {
  it("writes a batch to D1 and acks it when no Hyperdrive binding is configured", async () => {
    const ws = freshWorkspace();
    const events = [
      makeEvent(ws, "2026-11-26T01:00:00.000Z", { type: "conversation.created", channel: "web" }),
      makeEvent(ws, "2026-11-26T01:00:01.000Z", { latency_ms: 420, tokens: 88, properties: { model: "extractive" } }),
    ];

    const result = await deliver(deliveryOf(events), env);

    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
    const stored = await createAnalyticsSink(env).listEvents(ws, WINDOW.from, WINDOW.to);
    expect(stored.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
  });

  it("writes to Postgres when Hyperdrive is bound, once per event even when the batch is redelivered", async () => {
    const bindings: Env = { ...env, HYPERDRIVE: env.TEST_HYPERDRIVE };
    const ws = freshWorkspace();
    const events = [makeEvent(ws, "2026-11-30T23:59:59.999Z"), makeEvent(ws, "2026-12-01T00:00:00.000Z")];

    const first = await deliver(deliveryOf(events), bindings);
    const redelivered = await deliver(deliveryOf(events, 2), bindings);

    expect(first.ackAll).toBe(true);
    expect(redelivered.ackAll).toBe(true);
    const stored = await createAnalyticsSink(bindings).listEvents(ws, WINDOW.from, WINDOW.to);
    expect(stored.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    // Nothing leaked into the D1 default.
    expect(await createAnalyticsSink(env).listEvents(ws, WINDOW.from, WINDOW.to)).toEqual([]);
  });

  it("retries the whole batch after a delay when the store rejects it", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const ws = freshWorkspace();
    const malformed = { id: "evt_malformed000001", type: "message.answered", created_at: "2026-11-26T01:00:00.000Z" };
    const batch = createMessageBatch<AnalyticsEvent>(ANALYTICS_QUEUE, [
      { id: "msg-ok", timestamp: new Date(), attempts: 1, body: makeEvent(ws, "2026-11-26T01:00:00.000Z") },
      { id: "msg-bad", timestamp: new Date(), attempts: 1, body: malformed as AnalyticsEvent },
    ]);
    const retryAll = vi.spyOn(batch, "retryAll");
    const ctx = createExecutionContext();

    await consumeAnalytics(batch, env);
    const result = await getQueueResult(batch, ctx);

    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryBatch.retry).toBe(true);
    expect(retryAll).toHaveBeenCalledWith({ delaySeconds: 5 });
    expect(error).toHaveBeenCalledWith(expect.stringContaining("analytics batch failed"));
  });

  it("retries when Postgres refuses the connection instead of dropping the batch", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const url = new URL(env.TEST_HYPERDRIVE.connectionString);
    url.pathname = "/no_such_database";
    const refused = { ...env.TEST_HYPERDRIVE, connectionString: url.toString() };
    const bindings: Env = { ...env, HYPERDRIVE: refused };

    const result = await deliver(deliveryOf([makeEvent(freshWorkspace(), "2026-11-26T01:00:00.000Z")]), bindings);

    expect(result.ackAll).toBe(false);
    expect(result.retryBatch.retry).toBe(true);
  });
});

describe("emitEvent", () => {
  it("queues the event as JSON for the analytics consumer", async () => {
    const send = vi.spyOn(env.ANALYTICS_QUEUE, "send");
    const event = makeEvent(freshWorkspace(), "2026-11-26T01:00:00.000Z");

    await emitEvent(env, event);

    expect(send).toHaveBeenCalledWith(event, { contentType: "json" });
  });
});
