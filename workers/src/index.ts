/**
 * The Worker: HTTP API (Hono), queue consumers, scheduled housekeeping and Durable Objects.
 */
import { consumeAnalytics } from "./analytics/consumer";
import type { AnalyticsEvent } from "./analytics/sink";
import { consumeOutbound, consumeOutboundDeadLetters, type OutboundJob } from "./channels/outbound";
import { runHousekeeping } from "./compliance/housekeeping";
import { createApp } from "./http/app";
import type { IngestMessage } from "./knowledge/documents";
import { consumeIngest, consumeIngestDeadLetters } from "./knowledge/ingest";
import { createLogger } from "./lib/logger";
import { DAY_MS } from "./lib/time";
import { withJobMetrics } from "./metrics/queue-jobs";
import { createMetricsSink } from "./metrics/create-metrics-sink";
import { runAlerts } from "./monitoring/alerts";
import { consumeDeadLetters } from "./storage/dead-letters";

export { ConversationDO } from "./conversation/conversation-do";
export { KnowledgeIndexDO } from "./knowledge/knowledge-index/knowledge-index-do";
export { LocalVectorIndexDO } from "./knowledge/local-vector-index-do";
export { RateLimiterDO } from "./limits/rate-limiter-do";

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
    // Every message's outcome and time become a metric point (`metrics/queue-jobs.ts`).
    await withJobMetrics(batch, env, (watched) => consume(watched, env));
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    const now = new Date(controller.scheduledTime);
    // Retention, erasure of closed workspaces, follow-ups of visitor erasures.
    await runHousekeeping(env, now);
    // Error rate, answer latency and failing dependencies, notified once per alert.
    await runAlerts(env, now).catch((error: unknown) => createLogger({ component: "alerts" }).error("alert check failed", { error }));
    await createMetricsSink(env)
      .prune(now.getTime() - METRICS_RETENTION_MS)
      .catch((error: unknown) => createLogger({ component: "metrics" }).error("metrics prune failed", { error }));
  },
} satisfies ExportedHandler<Env>;

/** Metric points kept in D1 (Analytics Engine keeps its own three months). */
const METRICS_RETENTION_MS = 31 * DAY_MS; // the longest period a system health report spans

/** Hands a batch to its queue's consumer. */
async function consume(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  // Queue names are those of wrangler.toml; environments may prefix them, so match the ending.
  if (batch.queue.endsWith("-ingest-dlq")) {
    await consumeIngestDeadLetters(batch as MessageBatch<IngestMessage>, env);
    return consumeDeadLetters(batch);
  }
  if (batch.queue.endsWith("-outbound-dlq")) {
    await consumeOutboundDeadLetters(batch as MessageBatch<OutboundJob>, env);
    return consumeDeadLetters(batch);
  }
  if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch);
  if (batch.queue.endsWith("-ingest")) return consumeIngest(batch as MessageBatch<IngestMessage>, env);
  if (batch.queue.endsWith("-analytics")) return consumeAnalytics(batch as MessageBatch<AnalyticsEvent>, env);
  if (batch.queue.endsWith("-outbound")) return consumeOutbound(batch as MessageBatch<OutboundJob>, env);
  createLogger({ queue: batch.queue }).warn("no consumer for queue; retrying later");
  batch.retryAll({ delaySeconds: 60 });
}
