import { describe, expect, it } from "vitest";
import { BURST_WINDOW_MS, burstPerMinute, MONTHLY_WINDOW_MS, windowsFor } from "./call-windows";

describe("rate-limit tiers", () => {
  it("gives starter 5,000 and pro 50,000 calls per 30 days, enterprise no monthly limit", () => {
    const monthly = (plan: "starter" | "pro" | "enterprise") =>
      windowsFor("key", plan, {}).find((w) => w.name === "monthly")?.limit ?? null;
    expect(monthly("starter")).toBe(5_000);
    expect(monthly("pro")).toBe(50_000);
    expect(monthly("enterprise")).toBeNull();
    expect(windowsFor("key", "starter", {}).find((w) => w.name === "monthly")?.windowMs).toBe(MONTHLY_WINDOW_MS);
  });

  it("limits keys, users and visitors (per widget key and address) to 60 calls a minute", () => {
    const burst = (kind: "key" | "user" | "visitor") => windowsFor(kind, "enterprise", {});
    expect(burst("key")).toEqual([expect.objectContaining({ name: "burst", limit: 60, windowMs: BURST_WINDOW_MS })]);
    expect(burst("user")).toEqual([expect.objectContaining({ name: "burst", limit: 60 })]);
    expect(burst("visitor")).toEqual([expect.objectContaining({ name: "burst", limit: 60 })]);
  });

  it("meters visitors against the plan but never dashboard users", () => {
    expect(windowsFor("visitor", "starter", {}).map((w) => w.name)).toEqual(["burst", "monthly"]);
    expect(windowsFor("user", "starter", {}).map((w) => w.name)).toEqual(["burst"]);
  });

  it("holds a workspace whose plan is unknown to the smallest quota", () => {
    expect(windowsFor("key", null, {}).find((w) => w.name === "monthly")?.limit).toBe(5_000);
  });

  it("takes burst overrides from the environment, `off` included, and ignores nonsense", () => {
    expect(burstPerMinute("key", { RATE_LIMIT_BURST_PER_MINUTE: "600" })).toBe(600);
    expect(burstPerMinute("user", { RATE_LIMIT_BURST_PER_MINUTE: " 5 " })).toBe(5);
    expect(burstPerMinute("visitor", { RATE_LIMIT_BURST_PER_MINUTE: "600" })).toBe(60);
    expect(burstPerMinute("visitor", { RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "OFF" })).toBeNull();
    for (const nonsense of ["", "0", "-3", "1.5", "lots"]) {
      expect(burstPerMinute("key", { RATE_LIMIT_BURST_PER_MINUTE: nonsense })).toBe(60);
    }
    expect(windowsFor("user", null, { RATE_LIMIT_BURST_PER_MINUTE: "off" })).toEqual([]);
  });
});
