import { createLogger } from "../lib/logger";

/**
 * Consumes a dead-letter queue: each message that ran out of retries is logged with its queue
 * and attempts, then acknowledged, so operators see it and the queue does not grow forever.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    logger.error("message dead-lettered", { message_id: message.id, attempts: message.attempts });
  }
  batch.ackAll();
}
