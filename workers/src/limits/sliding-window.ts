/**
 * The arithmetic of a sliding-window counter, kept free of storage so it can be tested alone.
 *
 * A window of length W is cut into N = W / B buckets of length B. The calls counted in the last
 * W milliseconds are estimated as the N most recent buckets (the current one included) plus the
 * bucket just before them, weighted by how much of it still lies inside the window (calls are
 * assumed spread evenly across a bucket). With N = 1 this is the classic two-counter
 * sliding window; a larger N trades a few more rows for a smaller error. Memory stays bounded:
 * at most N + 1 buckets per window ever matter.
 */

/** One limit a call is checked against, e.g. 60 calls per sliding minute. */
export interface WindowSpec {
  /** Short name reported to clients (`burst`, `monthly`). */
  name: string;
  /** Calls allowed inside the window; 0 blocks everything. */
  limit: number;
  /** Length of the sliding window, in milliseconds. */
  windowMs: number;
  /** Length of one bucket, in milliseconds; must divide `windowMs`. */
  bucketMs: number;
}

/** Calls counted per bucket, keyed by bucket index (`floor(startMs / bucketMs)`). */
export type BucketCounts = ReadonlyMap<number, number>;

/** What one window says about a call. */
export interface WindowVerdict {
  name: string;
  allowed: boolean;
  limit: number;
  /** Calls still allowed after this one (whole calls, never negative). */
  remaining: number;
  /** When the window has forgotten every call counted so far, in epoch milliseconds. */
  resetAtMs: number;
  /** How long until the call would be allowed, in milliseconds; 0 when allowed. */
  retryAfterMs: number;
}

// Estimates are sums of fractions; this keeps 59.999999… from denying the 60th call.
const FLOAT_TOLERANCE = 1e-9;

/** Throws when a spec cannot describe a sliding window (caller bug, never user input). */
export function assertValidSpec(spec: WindowSpec): void {
  const ok =
    Number.isInteger(spec.limit) &&
    spec.limit >= 0 &&
    Number.isInteger(spec.bucketMs) &&
    spec.bucketMs > 0 &&
    Number.isInteger(spec.windowMs) &&
    spec.windowMs >= spec.bucketMs &&
    spec.windowMs % spec.bucketMs === 0;
  if (!ok) throw new RangeError(`invalid rate-limit window ${JSON.stringify(spec)}`);
}

/** Index of the bucket holding the instant `ms`. */
export function bucketIndex(spec: WindowSpec, ms: number): number {
  return Math.floor(ms / spec.bucketMs);
}

/** Oldest bucket index that can still weigh on the estimate at `nowMs`. */
export function oldestRelevantBucket(spec: WindowSpec, nowMs: number): number {
  return bucketIndex(spec, nowMs) - spec.windowMs / spec.bucketMs;
}

/** Epoch milliseconds after which a bucket can never again fall inside its window. */
export function bucketExpiresAtMs(spec: WindowSpec, index: number): number {
  return (index + 1) * spec.bucketMs + spec.windowMs;
}

/** Estimated calls inside the window ending at `atMs`, given the counts known now. */
export function estimateUsage(spec: WindowSpec, counts: BucketCounts, atMs: number): number {
  const buckets = spec.windowMs / spec.bucketMs;
  const current = bucketIndex(spec, atMs);
  let full = 0;
  for (let k = current - buckets + 1; k <= current; k++) full += counts.get(k) ?? 0;
  const elapsed = (atMs - current * spec.bucketMs) / spec.bucketMs;
  return full + (counts.get(current - buckets) ?? 0) * (1 - elapsed);
}

/**
 * Earliest instant at or after `nowMs` when `cost` more calls fit, assuming no other calls
 * arrive. The estimate only falls with time (piecewise linear, continuous), so it walks bucket
 * boundaries until the whole-bucket part fits, then solves the linear piece for the instant.
 */
function nextAllowedAtMs(spec: WindowSpec, counts: BucketCounts, nowMs: number, cost: number): number {
  const target = spec.limit - cost;
  if (target < 0) return nowMs + spec.windowMs; // can never fit; ask again after a full window
  const buckets = spec.windowMs / spec.bucketMs;
  const current = bucketIndex(spec, nowMs);
  for (let step = 0; step <= buckets; step++) {
    const segment = current + step;
    const segmentStart = Math.max(nowMs, segment * spec.bucketMs);
    if (estimateUsage(spec, counts, segmentStart) <= target + FLOAT_TOLERANCE) return segmentStart;
    let whole = 0; // buckets still wholly inside the window during this segment (none in the future)
    for (let k = segment - buckets + 1; k <= current; k++) whole += counts.get(k) ?? 0;
    const fading = counts.get(segment - buckets) ?? 0;
    if (whole <= target + FLOAT_TOLERANCE && fading > 0) {
      const fraction = 1 - (target - whole) / fading;
      return Math.ceil(segment * spec.bucketMs + fraction * spec.bucketMs);
    }
  }
  return nowMs + spec.windowMs; // unreachable: after N + 1 segments nothing is left
}

/** When every call counted so far has slid out of the window, in epoch milliseconds. */
function drainedAtMs(spec: WindowSpec, counts: BucketCounts, nowMs: number): number {
  const current = bucketIndex(spec, nowMs);
  for (let k = current; k >= oldestRelevantBucket(spec, nowMs); k--) {
    if ((counts.get(k) ?? 0) > 0) return bucketExpiresAtMs(spec, k);
  }
  return nowMs;
}

/**
 * Checks a call of weight `cost` at `nowMs` against one window. `counts` are the counts before
 * the call; the verdict's `remaining` and `resetAtMs` already include it when it is allowed.
 */
export function evaluateWindow(spec: WindowSpec, counts: BucketCounts, nowMs: number, cost = 1): WindowVerdict {
  const used = estimateUsage(spec, counts, nowMs);
  const allowed = used + cost <= spec.limit + FLOAT_TOLERANCE;
  const after = new Map(counts);
  if (allowed) {
    const current = bucketIndex(spec, nowMs);
    after.set(current, (after.get(current) ?? 0) + cost);
  }
  const usedAfter = allowed ? used + cost : used;
  return {
    name: spec.name,
    allowed,
    limit: spec.limit,
    remaining: Math.max(0, Math.floor(spec.limit - usedAfter + FLOAT_TOLERANCE)),
    resetAtMs: drainedAtMs(spec, after, nowMs),
    retryAfterMs: allowed ? 0 : nextAllowedAtMs(spec, counts, nowMs, cost) - nowMs,
  };
}

/**
 * The verdict to report when a call is checked against several windows: when every window
 * allows it, the one with the fewest calls left; otherwise the refusing window that keeps the
 * caller waiting longest, since every window must have room before a call gets through.
 */
export function tightestVerdict(verdicts: readonly WindowVerdict[]): WindowVerdict | undefined {
  const refusals = verdicts.filter((v) => !v.allowed);
  if (refusals.length > 0) {
    return refusals.reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  }
  return verdicts.reduce<WindowVerdict | undefined>((a, b) => (a === undefined || b.remaining < a.remaining ? b : a), undefined);
}
