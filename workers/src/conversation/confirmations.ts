/**
 * Confirmations of changing actions: the answer asks (`confirm_request`), the visitor's
 * `confirm` frame answers (on a channel without a socket, their next message: `yes`/`no`), and a
 * request nobody answers in time is declined. Memory only: a confirmation outlives neither the
 * answer that asked nor the object (an evicted object's answer is gone with it).
 */

/**
 * How long the visitor has to approve a changing action, in milliseconds: long enough to read
 * a one-line summary and press a button, short enough that an abandoned tab does not hold the
 * answer open. Unanswered means declined. Deployments may shorten it (`ACTION_CONFIRM_TIMEOUT_MS`).
 */
export const CONFIRM_TIMEOUT_MS = 60_000;

/** The confirmation timeout for `env`: `ACTION_CONFIRM_TIMEOUT_MS` when it is a positive number, else the constant. */
export function confirmTimeoutMs(env: { ACTION_CONFIRM_TIMEOUT_MS?: string }): number {
  const n = Number(env.ACTION_CONFIRM_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? Math.min(n, CONFIRM_TIMEOUT_MS) : CONFIRM_TIMEOUT_MS;
}

/**
 * How long a visitor on a channel without a socket (Slack, WhatsApp, email) has to reply yes or
 * no, in milliseconds: they read a message and type an answer, which takes longer than a click.
 * Any other message declines at once, so the wait never holds up a conversation that goes on.
 */
export const CHANNEL_CONFIRM_TIMEOUT_MS = 10 * 60_000;

/** Channels whose visitors have no socket: a confirmation is asked as a message and answered by the next one. */
export const SOCKETLESS_CHANNELS: ReadonlySet<string> = new Set(["slack", "whatsapp", "email"]);

/** A confirmation waiting for the visitor: the call, and the question whose answer asked for it. */
export interface WaitingConfirmation {
  callId: string;
  questionId: string | null;
}

/** The confirmations an answer waits for, by call id. */
export class Confirmations {
  private readonly waiting = new Map<string, { settle: (approve: boolean) => void; questionId: string | null }>();

  /** The confirmation waiting longest, or null when none is. */
  oldest(): WaitingConfirmation | null {
    for (const [callId, { questionId }] of this.waiting) return { callId, questionId };
    return null;
  }

  /** Waits for the visitor's answer about `callId`: false after `timeoutMs` or when `signal` aborts. */
  wait(callId: string, timeoutMs: number, signal?: AbortSignal, questionId: string | null = null): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (approve: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.waiting.delete(callId);
        resolve(approve);
      };
      const onAbort = () => settle(false);
      const timer = setTimeout(() => settle(false), timeoutMs);
      if (signal?.aborted) return settle(false);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.set(callId, { settle, questionId });
    });
  }

  /** The visitor's answer; false when no confirmation with that id is waiting. */
  answer(callId: string, approve: boolean): boolean {
    const waiting = this.waiting.get(callId);
    if (!waiting) return false;
    waiting.settle(approve);
    return true;
  }
}
