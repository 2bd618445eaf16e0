import { createLogger } from "../lib/logger";
import type { MessagePoint } from "../metrics/metrics-sink";
import { writeMetrics } from "../metrics/recorder";
import { createAnalyticsSink } from "./create-sink";
import type { AnalyticsEvent } from "./sink";
import { runInTrace, traceOfMessage, withTraceparent } from "../lib/trace-context";

/** A finite number of an event's properties, else null. */
function measured(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** The metric point of an answered message (`message.answered`); null for any other event. */
export function messagePointOf(e: AnalyticsEvent): MessagePoint | null {
  if (e.type !== "message.answered") return null;
  const p = e.properties ?? {};
  return {
    kind: "message",
    at: Date.parse(e.created_at),
    model: typeof p.model === "string" ? p.model : null,
    status: typeof p.status === "string" ? p.status : "complete",
    latency_ms: measured(e.latency_ms),
    first_delta_ms: measured(p.first_delta_ms),
    retrieval_ms: measured(p.retrieval_ms),
    llm_ms: measured(p.llm_ms),
    tokens: measured(e.tokens) ?? 0,
  };
}

/**
 * Writes a batch of analytics events in one go; on failure the whole batch is retried. Answered
 * messages also become metric points, written once the events are stored (so a retried batch
 * does not count them twice).
 */
export async function consumeAnalytics(batch: MessageBatch<AnalyticsEvent>, env: Env): Promise<void> {
  const sink = createAnalyticsSink(env);
  try {
    const events = batch.messages.map((m) => m.body);
    await sink.writeEvents(events);
    batch.ackAll();
    logWrittenByTrace(batch);
    await writeMetrics(env, events.flatMap((e) => messagePointOf(e) ?? []));
  } catch (err) {
    createLogger({ queue: batch.queue }).error("analytics batch failed; retrying", { error: err, size: batch.messages.length });
    batch.retryAll({ delaySeconds: 5 });
  }
}

/** One line per trace whose events the batch wrote (a visitor message's events share one), in that trace. */
function logWrittenByTrace(batch: MessageBatch<AnalyticsEvent>): void {
  const logger = createLogger({ queue: batch.queue });
  const byTrace = new Map<string, AnalyticsEvent[]>();
  for (const { body } of batch.messages) {
    const key = body.traceparent ?? "";
    byTrace.set(key, [...(byTrace.get(key) ?? []), body]);
  }
  for (const [traceparent, events] of byTrace) {
    const log = () => logger.info("analytics events written", { count: events.length, types: [...new Set(events.map((e) => e.type))] });
    if (traceparent) runInTrace(traceOfMessage({ traceparent }), log);
    else log();
  }
}

/** Queues an analytics event; the consumer batches them into the sink. */
export async function emitEvent(env: Env, event: AnalyticsEvent): Promise<void> {
  await env.ANALYTICS_QUEUE.send(withTraceparent(event), { contentType: "json" });
}

/** Queues analytics events in one `sendBatch` (at most the queue's 100 messages and 256 KB). */
export async function queueEvents(queue: Queue<AnalyticsEvent>, events: readonly AnalyticsEvent[]): Promise<void> {
  if (events.length === 0) return;
  await queue.sendBatch(events.map((body) => ({ body, contentType: "json" as const })));
}
