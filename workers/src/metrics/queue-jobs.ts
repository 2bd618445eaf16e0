/**
 * Queue jobs as metric points: a consumer's batch is handed over with its messages watched, so
 * each message's outcome is known however the consumer settles it (per message, for the whole
 * batch, implicitly, or by throwing). A message arriving on a dead-letter queue is counted as
 * failed for the queue it came from.
 */
import type { JobOutcome, QueueJobPoint } from "./metrics-sink";
import { writeMetrics } from "./recorder";

const DEAD_LETTER_SUFFIX = "-dlq";

/** Runs `consume` on `batch` and records one point per message: queue, outcome, time per message. */
export async function withJobMetrics<T>(batch: MessageBatch<T>, env: Env, consume: (batch: MessageBatch<T>) => Promise<void>): Promise<void> {
  const started = Date.now();
  // A message's own ack() or retry() wins over ackAll() or retryAll(), as the runtime decides.
  const own = new Map<string, JobOutcome>();
  let whole: JobOutcome | null = null;
  const messages = batch.messages.map((m) => watched(m, own));
  const observed: MessageBatch<T> = {
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      whole ??= "ok";
      batch.ackAll();
    },
    retryAll: (options) => {
      whole ??= "retry";
      batch.retryAll(options);
    },
  };
  let threw = false;
  try {
    await consume(observed);
  } catch (err) {
    threw = true;
    throw err;
  } finally {
    const perMessage = (Date.now() - started) / Math.max(batch.messages.length, 1);
    const deadLetters = batch.queue.endsWith(DEAD_LETTER_SUFFIX);
    const queue = deadLetters ? batch.queue.slice(0, -DEAD_LETTER_SUFFIX.length) : batch.queue;
    const points: QueueJobPoint[] = batch.messages.map((m) => ({
      kind: "queue_job",
      at: started,
      queue,
      // Unsettled messages are acknowledged when the consumer returns and retried when it throws.
      outcome: deadLetters ? "failed" : (own.get(m.id) ?? whole ?? (threw ? "retry" : "ok")),
      duration_ms: perMessage,
    }));
    await writeMetrics(env, points);
  }
}

/** `m` with its ack() and retry() noted in `outcomes`. */
function watched<T>(m: Message<T>, outcomes: Map<string, JobOutcome>): Message<T> {
  return new Proxy(m, {
    get(target, prop) {
      if (prop === "ack") {
        return () => {
          if (!outcomes.has(target.id)) outcomes.set(target.id, "ok");
          target.ack();
        };
      }
      if (prop === "retry") {
        return (options?: QueueRetryOptions) => {
          if (!outcomes.has(target.id)) outcomes.set(target.id, "retry");
          target.retry(options);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
