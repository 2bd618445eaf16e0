/**
 * Growing back-off after failed credential checks (sign-in, refresh, invitation links), kept in
 * a subject's `RateLimiterDO`. A subject (one email, one client address) may fail `threshold`
 * times; after that each further attempt has to wait, and every failure, including an attempt
 * made while it should have been waiting, doubles the wait up to `maxMs`. A success clears it;
 * otherwise it is forgotten `memoryMs` after the last failure.
 *
 * The state is one row of the limiter's `buckets` table (count = failures, expires_ms = when it
 * is forgotten), so the object's cleanup alarm and its pruning on write treat it like any
 * window, and no schema change is needed.
 */

/** How a subject's failures turn into waiting. */
export interface BackoffPolicy {
  /** Failures allowed before any waiting. */
  threshold: number;
  /** The first wait, in milliseconds; each further failure doubles it. */
  baseMs: number;
  /** The longest wait, in milliseconds. */
  maxMs: number;
  /** Failures are forgotten this long after the last one, in milliseconds; longer than `maxMs`. */
  memoryMs: number;
}

/** What the back-off says about one attempt. */
export interface BackoffDecision {
  allowed: boolean;
  /** Failures counted so far (this one included when it was recorded). */
  failures: number;
  /** The threshold, reported as X-RateLimit-Limit. */
  limit: number;
  /** Failures left before waiting starts. */
  remaining: number;
  /** When attempts are accepted again (now when they are), in Unix epoch seconds. */
  resetAt: number;
  /** Seconds to wait before a retry can succeed; 0 when allowed. */
  retryAfterSeconds: number;
}

/** `check` before an attempt (an attempt while waiting counts as a failure), `fail` after a failed one, `clear` after a success. */
export type BackoffOp = "check" | "fail" | "clear";

const STATE_KEY = "auth_backoff"; // never a sliding window's key: those hold the window's size
const STATE_BUCKET = 0;

/** Throws when a policy cannot work (a caller bug, never user input). */
export function assertValidPolicy(policy: BackoffPolicy): void {
  const ok =
    Number.isInteger(policy.threshold) &&
    policy.threshold >= 0 &&
    policy.baseMs > 0 &&
    policy.maxMs >= policy.baseMs &&
    policy.memoryMs > policy.maxMs;
  if (!ok) throw new RangeError(`invalid back-off policy ${JSON.stringify(policy)}`);
}

/** Until when a subject with `failures`, the last at `lastFailureMs`, has to wait (epoch ms). */
export function blockedUntilMs(policy: BackoffPolicy, failures: number, lastFailureMs: number): number {
  if (failures < policy.threshold) return lastFailureMs;
  const doublings = failures - policy.threshold;
  // 2^doublings overflows nothing that matters: past ~30 doublings the cap has long applied.
  const wait = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(doublings, 40));
  return lastFailureMs + wait;
}

function decide(policy: BackoffPolicy, failures: number, lastFailureMs: number, nowMs: number): BackoffDecision {
  const until = blockedUntilMs(policy, failures, lastFailureMs);
  const allowed = failures < policy.threshold || until <= nowMs;
  return {
    allowed,
    failures,
    limit: policy.threshold,
    remaining: Math.max(0, policy.threshold - failures),
    resetAt: Math.ceil(Math.max(until, nowMs) / 1000),
    retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((until - nowMs) / 1000)),
  };
}

/**
 * Applies `op` to the state in the limiter's SQLite at `nowMs`, inside the caller's transaction.
 * Returns the decision and, when the state was written, when it expires (for the cleanup alarm).
 */
export function applyBackoff(
  sql: SqlStorage,
  op: BackoffOp,
  policy: BackoffPolicy,
  nowMs: number,
): { decision: BackoffDecision; expiresMs: number | null } {
  assertValidPolicy(policy);
  if (op === "clear") {
    sql.exec("DELETE FROM buckets WHERE window_key = ?", STATE_KEY);
    return { decision: decide(policy, 0, nowMs, nowMs), expiresMs: null };
  }
  const row = sql
    .exec<{ count: number; expires_ms: number }>(
      "SELECT count, expires_ms FROM buckets WHERE window_key = ? AND bucket = ? AND expires_ms > ?",
      STATE_KEY,
      STATE_BUCKET,
      nowMs,
    )
    .toArray()[0];
  const failures = row?.count ?? 0;
  const lastFailureMs = row ? row.expires_ms - policy.memoryMs : nowMs;
  const current = decide(policy, failures, lastFailureMs, nowMs);
  if (op === "check" && current.allowed) return { decision: current, expiresMs: null };

  // A failure, or an attempt while waiting (which is one too): count it and restart the wait.
  const expiresMs = nowMs + policy.memoryMs;
  sql.exec(
    `INSERT INTO buckets (window_key, bucket, count, expires_ms) VALUES (?, ?, ?, ?)
     ON CONFLICT (window_key, bucket) DO UPDATE SET count = excluded.count, expires_ms = excluded.expires_ms`,
    STATE_KEY,
    STATE_BUCKET,
    failures + 1,
    expiresMs,
  );
  const after = decide(policy, failures + 1, nowMs, nowMs);
  // A recorded failure is answered by the route as it was (401, 404); only `check` refuses.
  return { decision: op === "check" ? after : { ...after, allowed: true, retryAfterSeconds: 0 }, expiresMs };
}
