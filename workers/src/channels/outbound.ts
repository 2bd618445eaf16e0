/**
 * The outbound queue's consumer: answers channel messages, relays agents' replies, delivers
 * escalations and logs resolved conversations in the CRM. A job that fails at a provider is retried no sooner than the
 * provider's `Retry-After` (else with exponential backoff) and, after the queue's
 * `max_retries`, lands in the dead-letter queue, whose consumer records that it gave up.
 * Failures that retrying cannot fix (a channel not configured, bad credentials) are recorded
 * and acknowledged.
 */
import { conversationStub } from "../conversation/service";
import { createLogger, type Logger } from "../lib/logger";
import { deliverEscalation } from "./escalation-delivery";
import { recordEscalationDelivery } from "./escalation-records";
import { logConversationToCrm } from "./hubspot/crm-log";
import { answerInboundMessage, relayAgentReply } from "./inbound-answer";
import type { OutboundJob } from "./jobs";
import { describeFailure, isRetryable, retryDelaySeconds } from "./provider-error";
import { runInTrace, traceOfMessage } from "../lib/trace-context";

export type { AgentReplyJob, ConversationResolvedJob, EscalationJob, InboundMessageJob, OutboundJob } from "./jobs";

async function runJob(env: Env, job: OutboundJob, logger: Logger): Promise<void> {
  switch (job.type) {
    case "escalation.created": {
      const result = await deliverEscalation(env, job);
      logger.info("escalation delivered", { escalation_id: job.escalation_id, delivered: result.delivered });
      return;
    }
    case "inbound.message": {
      const outcome = await answerInboundMessage(env, job);
      logger.info("channel message handled", { channel: job.channel, conversation_id: job.conversation_id, outcome });
      return;
    }
    case "agent.reply": {
      const outcome = await relayAgentReply(env, job);
      logger.info("agent reply relayed", { conversation_id: job.conversation_id, outcome });
      return;
    }
    case "conversation.resolved": {
      const outcome = await logConversationToCrm(env, {
        workspaceId: job.workspace_id,
        conversationId: job.conversation_id,
        event: "resolved",
        eventKey: job.resolved_at,
      });
      logger.info("resolution logged in the CRM", { conversation_id: job.conversation_id, outcome });
      return;
    }
    default:
      logger.warn("unknown outbound job; dropped", { type: (job as { type?: unknown }).type });
  }
}

/** Runs a batch of outbound jobs, one at a time (jobs of one conversation stay in order). */
export async function consumeOutbound(batch: MessageBatch<OutboundJob>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    const job = message.body;
    const log = logger.with({ message_id: message.id, job: job.type, attempts: message.attempts });
    await runInTrace(traceOfMessage(job), () => runOutboundMessage(env, message, log));
  }
}

/** One outbound job, acknowledged or retried by its outcome. */
async function runOutboundMessage(env: Env, message: Message<OutboundJob>, log: Logger): Promise<void> {
  const job = message.body;
  try {
    await runJob(env, job, log);
    message.ack();
  } catch (err) {
    if (isRetryable(err)) {
      const delaySeconds = retryDelaySeconds(err, message.attempts);
      log.warn("outbound job failed; retrying", { error: describeFailure(err), delay_seconds: delaySeconds });
      message.retry({ delaySeconds });
    } else {
      log.error("outbound job failed for good; not retried", { error: describeFailure(err) });
      message.ack();
    }
  }
}

/**
 * Jobs that used up their retries: the escalation or conversation is marked so the dashboard
 * shows the delivery was abandoned. The generic dead-letter consumer logs them afterwards.
 */
export async function consumeOutboundDeadLetters(batch: MessageBatch<OutboundJob>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    const job = message.body;
    const note = `gave up after ${message.attempts} attempts`;
    try {
      if (job.type === "escalation.created") {
        await recordEscalationDelivery(
          env,
          { workspaceId: job.workspace_id, conversationId: job.conversation_id, escalationId: job.escalation_id },
          { lastError: `notification ${note}` },
        );
        await (await conversationStub(env, job.workspace_id, job.conversation_id)).recordDeliveryError({ provider: "escalation", message: `notification ${note}` });
      } else if (job.type === "inbound.message" || job.type === "agent.reply") {
        await (await conversationStub(env, job.workspace_id, job.conversation_id)).recordDeliveryError({ provider: "channel", message: `reply ${note}` });
      } else if (job.type === "conversation.resolved") {
        await (await conversationStub(env, job.workspace_id, job.conversation_id)).recordDeliveryError({ provider: "hubspot", message: `CRM note ${note}` });
      }
    } catch (err) {
      logger.error("could not record a dead-lettered outbound job", { message_id: message.id, error: describeFailure(err) });
    }
  }
}
