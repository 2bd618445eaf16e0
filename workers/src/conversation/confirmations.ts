/**
 * Confirmations of changing actions: the answer asks (`confirm_request`), the visitor's
 * `confirm` frame answers, and a request nobody answers in time is declined. Memory only: a
 * confirmation outlives neither the answer that asked nor the object (an evicted object's
 * answer is gone with it).
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

/** The confirmations an answer waits for, by call id. */
export class Confirmations {
  private readonly waiting = new Map<string, (approve: boolean) => void>();

  /** Waits for the visitor's answer about `callId`: false after `timeoutMs` or when `signal` aborts. */
  wait(callId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
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
      this.waiting.set(callId, settle);
    });
  }

  /** The visitor's answer; false when no confirmation with that id is waiting. */
  answer(callId: string, approve: boolean): boolean {
    const settle = this.waiting.get(callId);
    if (!settle) return false;
    settle(approve);
    return true;
  }
}
