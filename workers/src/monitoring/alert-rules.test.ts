import { describe, expect, it } from "vitest";
import type { SystemHealth } from "../../../schema/api";
import { MESSAGE_P95_THRESHOLD_MS, MIN_MESSAGES, MIN_REQUESTS, readAlerts } from "./alert-rules";

const NONE = { p50: null, p95: null, p99: null };

/** A report of `requests` requests with `errors` 5xx and `messages` answers at a p95 of `p95`. */
function report(requests: number, errors: number, messages: number, p95: number | null): SystemHealth {
  return {
    from: "2026-01-01T00:00:00.000Z",
    to: "2026-01-01T00:15:00.000Z",
    source: "d1",
    requests: { count: requests, errors, error_rate: requests ? errors / requests : null, per_minute: requests / 15, latency_ms: NONE },
    routes: [],
    messages: { count: messages, per_minute: 0, tokens: 0, first_delta_ms: NONE, latency_ms: { p50: p95, p95, p99: p95 }, retrieval_ms: NONE, llm_ms: NONE },
    queues: [],
  };
}

const firing = (r: ReturnType<typeof readAlerts>, key: string) => r.find((a) => a.key === key)?.firing;

describe("alert rules", () => {
  it("fires on an error rate over 1% once there are enough requests, and stays silent below", () => {
    expect(firing(readAlerts(report(MIN_REQUESTS, 1, 0, null), []), "error_rate")).toBe(true); // 5%
    expect(firing(readAlerts(report(200, 2, 0, null), []), "error_rate")).toBe(false); // exactly 1%
    expect(firing(readAlerts(report(MIN_REQUESTS - 1, 10, 0, null), []), "error_rate")).toBeNull();
  });

  it("fires on a p95 answer time over a second once there are enough answers", () => {
    expect(firing(readAlerts(report(0, 0, MIN_MESSAGES, MESSAGE_P95_THRESHOLD_MS + 1), []), "message_latency_p95")).toBe(true);
    expect(firing(readAlerts(report(0, 0, MIN_MESSAGES, MESSAGE_P95_THRESHOLD_MS), []), "message_latency_p95")).toBe(false);
    expect(firing(readAlerts(report(0, 0, MIN_MESSAGES - 1, 5_000), []), "message_latency_p95")).toBeNull();
  });

  it("reads each probe as its own alert, and only the probes when the metrics could not be read", () => {
    const checks = [
      { name: "d1", ok: true },
      { name: "vector_store", ok: false },
    ];
    expect(readAlerts(null, checks)).toEqual([
      { key: "probe:d1", firing: false, summary: "d1 answers its probe" },
      { key: "probe:vector_store", firing: true, summary: "vector_store fails its probe" },
    ]);
  });
});
