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
import { consumeDeadLetters } from "./storage/dead-letters";

export { ConversationDO } from "./conversation/conversation-do";
export { KnowledgeIndexDO } from "./knowledge/knowledge-index/knowledge-index-do";
export { LocalVectorIndexDO } from "./knowledge/local-vector-index-do";
export { RateLimiterDO } from "./limits/rate-limiter-do";

const app = createApp();

export default {
  fetch: app.fetch,

  async queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
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
  },

  async scheduled(controller: ScheduledController, env: Env): Promise<void> {
    // Retention, erasure of closed workspaces, follow-ups of visitor erasures.
    await runHousekeeping(env, new Date(controller.scheduledTime));
  },
} satisfies ExportedHandler<Env>;
