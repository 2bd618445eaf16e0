import { createLogger } from "../lib/logger";
import { createAnalyticsSink } from "./create-sink";
import type { AnalyticsEvent } from "./sink";
import { runInTrace, traceOfMessage, withTraceparent } from "../lib/trace-context";

/** Writes a batch of analytics events in one go; on failure the whole batch is retried. */
export async function consumeAnalytics(batch: MessageBatch<AnalyticsEvent>, env: Env): Promise<void> {
  const sink = createAnalyticsSink(env);
  try {
    await sink.writeEvents(batch.messages.map((m) => m.body));
    batch.ackAll();
    logWrittenByTrace(batch);
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
