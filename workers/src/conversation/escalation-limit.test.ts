import { describe, expect, it } from "vitest";
import { ESCALATION_WINDOW_MS, escalationAllowance, MAX_ESCALATIONS_PER_WINDOW } from "./escalation-limit";

const NOW = Date.parse("2026-03-10T12:00:00.000Z");
const ago = (ms: number) => new Date(NOW - ms).toISOString();

describe("how many escalations a conversation may open", () => {
  it("allows escalations up to the bound within a day", () => {
    expect(escalationAllowance([], NOW)).toEqual({ allowed: true });
    const under = Array.from({ length: MAX_ESCALATIONS_PER_WINDOW - 1 }, (_, i) => ago((i + 1) * 60_000));
    expect(escalationAllowance(under, NOW)).toEqual({ allowed: true });
  });

  it("refuses the next one until the oldest counted leaves the window", () => {
    const oldestAgo = 5 * 60 * 60_000;
    const full = [ago(oldestAgo), ...Array.from({ length: MAX_ESCALATIONS_PER_WINDOW - 1 }, (_, i) => ago(i * 60_000))];
    expect(escalationAllowance(full, NOW)).toEqual({ allowed: false, retryAfterSeconds: (ESCALATION_WINDOW_MS - oldestAgo) / 1000 });
  });

  it("forgets escalations older than the window", () => {
    const old = Array.from({ length: MAX_ESCALATIONS_PER_WINDOW * 2 }, () => ago(ESCALATION_WINDOW_MS + 1));
    expect(escalationAllowance(old, NOW)).toEqual({ allowed: true });
  });
});
