/**
 * The one setting shared by the scheduled sweeps that send lost queue work again: how long
 * work may sit without progress before it counts as stuck. Each kind of work has its own
 * default, set beside its sweep; `STUCK_WORK_TIMEOUT_MINUTES` overrides them all (a
 * deployment that knows its queues, or a test that cannot wait an hour).
 */
import { createLogger } from "./logger";
import { MINUTE_MS } from "./time";

/** The wait before queued work counts as stuck: the override in minutes when it is a number ≥ 0, else `defaultMs`. */
export function stuckAfterMs(env: Pick<Env, "STUCK_WORK_TIMEOUT_MINUTES">, defaultMs: number): number {
  const raw = env.STUCK_WORK_TIMEOUT_MINUTES?.trim();
  if (!raw) return defaultMs;
  const minutes = Number(raw);
  if (!Number.isFinite(minutes) || minutes < 0) {
    createLogger({ component: "housekeeping" }).warn("STUCK_WORK_TIMEOUT_MINUTES is not a number of minutes; using the default", {
      value: raw,
      default_minutes: defaultMs / MINUTE_MS,
    });
    return defaultMs;
  }
  return minutes * MINUTE_MS;
}
