import { describe, expect, it } from "vitest";
import {
  assertValidSpec,
  estimateUsage,
  evaluateWindow,
  tightestVerdict,
  type WindowSpec,
  type WindowVerdict,
} from "./sliding-window";

// 10 calls per sliding 60 s, in 10 s buckets; T0 is the start of bucket 1,000.
const SPEC: WindowSpec = { name: "burst", limit: 10, windowMs: 60_000, bucketMs: 10_000 };
const T0 = 1_000 * SPEC.bucketMs;

/** Runs `n` calls at `atMs` against `counts`, counting the allowed ones, and returns the last verdict. */
function callMany(counts: Map<number, number>, atMs: number, n: number): WindowVerdict[] {
  const verdicts: WindowVerdict[] = [];
  for (let i = 0; i < n; i++) {
    const v = evaluateWindow(SPEC, counts, atMs);
    if (v.allowed) counts.set(Math.floor(atMs / SPEC.bucketMs), (counts.get(Math.floor(atMs / SPEC.bucketMs)) ?? 0) + 1);
    verdicts.push(v);
  }
  return verdicts;
}

describe("sliding-window counter", () => {
  it("allows exactly `limit` calls in a window, counting `remaining` down to zero", () => {
    const counts = new Map<number, number>();
    const verdicts = callMany(counts, T0 + 1_000, 11);
    expect(verdicts.slice(0, 10).map((v) => v.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(verdicts.slice(0, 10).every((v) => v.allowed && v.retryAfterMs === 0)).toBe(true);
    expect(verdicts[10]).toMatchObject({ allowed: false, remaining: 0, limit: 10 });
  });

  it("reports the reset as the moment every counted call has slid out of the window", () => {
    const counts = new Map<number, number>();
    const [first] = callMany(counts, T0 + 1_000, 1);
    // The call sits in bucket [T0, T0+10s): it is fully forgotten once T0+10s is 60 s behind.
    expect(first?.resetAtMs).toBe(T0 + 70_000);
  });

  it("weighs the bucket leaving the window by the share of it still inside", () => {
    const counts = new Map([[1_000, 10]]); // ten calls in the bucket starting at T0
    expect(estimateUsage(SPEC, counts, T0 + 59_999)).toBe(10); // still wholly inside
    expect(estimateUsage(SPEC, counts, T0 + 60_000)).toBe(10); // now the fading bucket, weight 1
    expect(estimateUsage(SPEC, counts, T0 + 65_000)).toBeCloseTo(5); // half of it is gone
    expect(estimateUsage(SPEC, counts, T0 + 70_000)).toBe(0);
  });

  it("tells a refused caller exactly when the next call fits, and lets it through then", () => {
    const counts = new Map<number, number>();
    callMany(counts, T0 + 1_000, 10);
    const refused = evaluateWindow(SPEC, counts, T0 + 30_000);
    expect(refused.allowed).toBe(false);
    // One slot frees when a tenth of the full bucket has faded: 1 s into the bucket at T0+60s.
    expect(refused.retryAfterMs).toBe(T0 + 61_000 - (T0 + 30_000));
    expect(evaluateWindow(SPEC, counts, T0 + 60_999).allowed).toBe(false);
    expect(evaluateWindow(SPEC, counts, T0 + 61_000).allowed).toBe(true);
  });

  it("lets calls through again as time passes, without a cliff at the window edge", () => {
    const counts = new Map<number, number>();
    callMany(counts, T0 + 5_000, 10);
    expect(evaluateWindow(SPEC, counts, T0 + 59_000).allowed).toBe(false);
    // Half the old bucket has faded: five calls fit again, not ten.
    const later = callMany(counts, T0 + 65_000, 6);
    expect(later.map((v) => v.allowed)).toEqual([true, true, true, true, true, false]);
    expect(later[4]?.remaining).toBe(0);
  });

  it("does not count a refused call", () => {
    const counts = new Map<number, number>();
    callMany(counts, T0, 10);
    const before = new Map(counts);
    callMany(counts, T0 + 1_000, 50);
    expect(counts).toEqual(before);
    expect(evaluateWindow(SPEC, counts, T0 + 61_000).allowed).toBe(true);
  });

  it("never lets a call through a zero limit, and asks to wait a whole window", () => {
    const v = evaluateWindow({ ...SPEC, limit: 0 }, new Map(), T0);
    expect(v).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: SPEC.windowMs });
  });

  it("reports the window with the fewest calls left, or the longest wait when refused", () => {
    const base = { allowed: true, limit: 100, resetAtMs: 0, retryAfterMs: 0 };
    const burst = { ...base, name: "burst", remaining: 5 };
    const monthly = { ...base, name: "monthly", remaining: 3 };
    expect(tightestVerdict([burst, monthly])?.name).toBe("monthly");
    expect(tightestVerdict([burst, { ...monthly, remaining: 5 }])?.name).toBe("burst");
    const refusedSoon = { ...burst, allowed: false, remaining: 0, retryAfterMs: 1_000 };
    const refusedLate = { ...monthly, allowed: false, remaining: 0, retryAfterMs: 86_400_000 };
    expect(tightestVerdict([refusedSoon, refusedLate])?.name).toBe("monthly");
    expect(tightestVerdict([refusedSoon, monthly])?.name).toBe("burst");
    expect(tightestVerdict([])).toBeUndefined();
  });

  it("rejects window shapes that cannot slide", () => {
    expect(() => assertValidSpec({ ...SPEC, bucketMs: 7_000 })).toThrow(RangeError);
    expect(() => assertValidSpec({ ...SPEC, limit: -1 })).toThrow(RangeError);
    expect(() => assertValidSpec({ ...SPEC, windowMs: 5_000 })).toThrow(RangeError);
    expect(() => assertValidSpec(SPEC)).not.toThrow();
  });
});
