import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY_MS, MINUTE_MS } from "../lib/time";
import type { RateLimiterDO } from "./rate-limiter-do";
import { burstWindow, monthlyWindow } from "./call-windows";

let subjects = 0;
/** A stub for a subject no other test touches. */
function freshLimiter() {
  subjects += 1;
  return env.RATE_LIMITER.getByName(`test:${Date.now()}:${subjects}`);
}

/** Calls counted per window, read straight from the object's SQLite. */
async function storedCounts(stub: DurableObjectStub<RateLimiterDO>): Promise<Record<string, number>> {
  return runInDurableObject(stub, (_instance, state) => {
    const rows = state.storage.sql
      .exec<{ window_key: string; total: number }>("SELECT window_key, SUM(count) AS total FROM buckets GROUP BY window_key")
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.window_key.split(":")[0] ?? "", r.total]));
  });
}

// A minute boundary a little in the future, so the cleanup alarm never fires during a test.
const START_MS = Math.ceil((Date.now() + DAY_MS) / MINUTE_MS) * MINUTE_MS;

describe("RateLimiterDO", () => {
  it("counts a call in every window at once and reports the tightest", async () => {
    const limiter = freshLimiter();
    const windows = [burstWindow(3), monthlyWindow(100)];
    const first = await limiter.hit(windows, { nowMs: START_MS });
    expect(first).toEqual({
      allowed: true,
      window: "burst",
      limit: 3,
      remaining: 2,
      resetAt: (START_MS + 70_000) / 1000,
      retryAfterSeconds: 0,
    });
    expect(await storedCounts(limiter)).toEqual({ burst: 1, monthly: 1 });

    // Near the end of the monthly quota the monthly window becomes the one reported.
    const heavy = await limiter.hit([monthlyWindow(100)], { nowMs: START_MS, cost: 98 });
    expect(heavy).toMatchObject({ allowed: true, window: "monthly", remaining: 1 });
    expect(await limiter.hit(windows, { nowMs: START_MS + 1 })).toMatchObject({ window: "monthly", limit: 100, remaining: 0 });
  });

  it("refuses a call when any window is full, and then counts it nowhere", async () => {
    const limiter = freshLimiter();
    const windows = [burstWindow(2), monthlyWindow(1_000)];
    await limiter.hit(windows, { nowMs: START_MS });
    await limiter.hit(windows, { nowMs: START_MS + 1 });
    for (let i = 0; i < 5; i++) {
      const refused = await limiter.hit(windows, { nowMs: START_MS + 2 + i });
      expect(refused).toMatchObject({ allowed: false, window: "burst", limit: 2, remaining: 0 });
      // Both calls sit in one 10 s bucket; a slot frees when half of it has faded out, 65 s on.
      expect(refused.retryAfterSeconds).toBe(65);
    }
    expect(await storedCounts(limiter)).toEqual({ burst: 2, monthly: 2 });
  });

  it("lets calls through again once the window has slid past them", async () => {
    const limiter = freshLimiter();
    const windows = [burstWindow(2)];
    await limiter.hit(windows, { nowMs: START_MS });
    await limiter.hit(windows, { nowMs: START_MS });
    const refused = await limiter.hit(windows, { nowMs: START_MS + 30_000 });
    expect(refused.allowed).toBe(false);

    const retryAt = START_MS + 30_000 + refused.retryAfterSeconds * 1000;
    expect(await limiter.hit(windows, { nowMs: retryAt - 1_000 })).toMatchObject({ allowed: false });
    expect(await limiter.hit(windows, { nowMs: retryAt })).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.hit(windows, { nowMs: START_MS + 2 * MINUTE_MS })).toMatchObject({ allowed: true, remaining: 0 });
  });

  it("keeps the monthly quota for 30 days, then frees it day by day", async () => {
    const limiter = freshLimiter();
    const month = [monthlyWindow(10)];
    expect(await limiter.hit(month, { nowMs: START_MS, cost: 10 })).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await limiter.hit(month, { nowMs: START_MS + 29 * DAY_MS });
    expect(refused).toMatchObject({ allowed: false, window: "monthly" });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(2 * 24 * 3600);
    expect(await limiter.hit(month, { nowMs: START_MS + 31 * DAY_MS })).toMatchObject({ allowed: true, remaining: 9 });
  });

  it("keeps a plan change's counts: a higher limit applies to the calls already made", async () => {
    const limiter = freshLimiter();
    await limiter.hit([monthlyWindow(5)], { nowMs: START_MS, cost: 5 });
    expect(await limiter.hit([monthlyWindow(5)], { nowMs: START_MS })).toMatchObject({ allowed: false });
    expect(await limiter.hit([monthlyWindow(50)], { nowMs: START_MS })).toMatchObject({ allowed: true, remaining: 44 });
  });

  it("prunes buckets that can no longer count, so rows stay bounded", async () => {
    const limiter = freshLimiter();
    for (let minute = 0; minute < 30; minute++) {
      await limiter.hit([burstWindow(1_000)], { nowMs: START_MS + minute * MINUTE_MS });
    }
    const rows = await runInDurableObject(limiter, (_i, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM buckets").one().n,
    );
    expect(rows).toBeLessThanOrEqual(7); // one window of 6 buckets plus the fading one
  });

  it("forgets an idle subject entirely and starts afresh on its next call", async () => {
    const limiter = freshLimiter();
    const longAgo = Date.now() - DAY_MS;
    await limiter.hit([burstWindow(5)], { nowMs: longAgo });
    await runDurableObjectAlarm(limiter); // due already; it may even have run on its own
    const tables = await runInDurableObject(limiter, (_i, state) =>
      state.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name = 'buckets'").toArray(),
    );
    expect(tables).toEqual([]);
    expect(await limiter.hit([burstWindow(5)])).toMatchObject({ allowed: true, remaining: 4 });
  });

  it("checks several subjects in one call and counts the call in none of them when one is full", async () => {
    const limiter = freshLimiter();
    const conversation = { subject: "conversation:conv_1", windows: [{ ...burstWindow(2), name: "conversation" }] };
    const workspace = { subject: "workspace", windows: [{ ...burstWindow(100), name: "workspace" }] };
    expect(await limiter.hitMany([conversation, workspace], { nowMs: START_MS })).toMatchObject({ allowed: true, window: "conversation", remaining: 1 });
    expect(await limiter.hitMany([conversation, workspace], { nowMs: START_MS })).toMatchObject({ allowed: true, remaining: 0 });
    const refused = await limiter.hitMany([conversation, workspace], { nowMs: START_MS });
    expect(refused).toMatchObject({ allowed: false, window: "conversation" });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    // Another conversation has its own counter; the workspace counted only the two admitted calls.
    const other = { subject: "conversation:conv_2", windows: conversation.windows };
    expect(await limiter.hitMany([other, workspace], { nowMs: START_MS })).toMatchObject({ allowed: true });
    const keys = await runInDurableObject(limiter, (_i, state) =>
      state.storage.sql.exec<{ window_key: string; total: number }>("SELECT window_key, SUM(count) AS total FROM buckets GROUP BY window_key").toArray(),
    );
    expect(Object.fromEntries(keys.map((k) => [k.window_key.split("|")[0], k.total]))).toEqual({
      "conversation:conv_1": 2,
      "conversation:conv_2": 1,
      workspace: 3,
    });
  });

  it("spends a budget after the fact and refuses check-only calls once it is used up, without counting them", async () => {
    const limiter = freshLimiter();
    const budget = { subject: "model", windows: [monthlyWindow(100)], checkOnly: true };
    expect(await limiter.hitMany([budget], { nowMs: START_MS })).toMatchObject({ allowed: true });
    expect(await limiter.spend("model", budget.windows, 60, { nowMs: START_MS })).toMatchObject({ allowed: true, remaining: 39 });
    // A finished call is counted in full even past the limit.
    expect(await limiter.spend("model", budget.windows, 70, { nowMs: START_MS })).toMatchObject({ allowed: false });
    const refused = await limiter.hitMany([budget, { subject: "workspace", windows: [burstWindow(10)] }], { nowMs: START_MS + 1 });
    expect(refused).toMatchObject({ allowed: false, window: "monthly" });
    const total = await runInDurableObject(limiter, (_i, state) =>
      state.storage.sql.exec<{ total: number }>("SELECT SUM(count) AS total FROM buckets").one().total,
    );
    expect(total).toBe(130); // the refused call left no count in the workspace window either
  });

  it("rejects a malformed window or cost instead of guessing", async () => {
    // Called on the instance: an error thrown across RPC is also reported as unhandled by the runner.
    await runInDurableObject(freshLimiter(), async (instance) => {
      await expect(instance.hit([{ name: "x", limit: 1, windowMs: 1_000, bucketMs: 300 }])).rejects.toThrow(
        /invalid rate-limit window/,
      );
      await expect(instance.hit([burstWindow(1)], { cost: 0 })).rejects.toThrow(/invalid rate-limit cost/);
    });
  });
});
