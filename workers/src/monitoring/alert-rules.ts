/**
 * Which alerts are firing, decided from a metrics report of the last window and the probes'
 * results: pure, so the thresholds are tested without a runtime.
 */
import type { SystemHealth } from "../../../schema/api";
import type { CheckResult } from "./readiness";

/** Minutes of metrics each alert check reads: the cron's period, so every point is judged once. */
export const ALERT_WINDOW_MINUTES = 15;
/** Share of 5xx answers above which the error-rate alert fires. */
export const ERROR_RATE_THRESHOLD = 0.01;
/** Requests a window needs before its error rate is judged: two failures of three calls are noise. */
export const MIN_REQUESTS = 20;
/** 95th-percentile answer time (question to stored answer) above which the latency alert fires, in ms. */
export const MESSAGE_P95_THRESHOLD_MS = 1_000;
/** Answered messages a window needs before its latency is judged. */
export const MIN_MESSAGES = 5;

/** One alert's state this run: firing, clear, or unknown (too few samples to say; nothing changes). */
export interface AlertReading {
  /** Stable key: `error_rate`, `message_latency_p95`, `probe:<check>`. */
  key: string;
  firing: boolean | null;
  /** One line for people: what was measured against what. */
  summary: string;
}

/** Every alert's reading from the window's report (null when it could not be read: probes only) and the probes. */
export function readAlerts(report: SystemHealth | null, checks: readonly CheckResult[]): AlertReading[] {
  const probes = checks.map((check) => ({
    key: `probe:${check.name}`,
    firing: !check.ok,
    summary: check.ok ? `${check.name} answers its probe` : `${check.name} fails its probe`,
  }));
  if (!report) return probes;
  const { requests, messages } = report;
  const errorRate = requests.error_rate ?? 0;
  const p95 = messages.latency_ms.p95;
  return [
    {
      key: "error_rate",
      firing: requests.count < MIN_REQUESTS ? null : errorRate > ERROR_RATE_THRESHOLD,
      summary: `error rate ${(errorRate * 100).toFixed(2)}% (${requests.errors} of ${requests.count} requests answered 5xx in ${ALERT_WINDOW_MINUTES} min; alert above ${ERROR_RATE_THRESHOLD * 100}%)`,
    },
    {
      key: "message_latency_p95",
      firing: messages.count < MIN_MESSAGES || p95 === null ? null : p95 > MESSAGE_P95_THRESHOLD_MS,
      summary: `p95 answer time ${p95 ?? "n/a"} ms over ${messages.count} answers in ${ALERT_WINDOW_MINUTES} min (alert above ${MESSAGE_P95_THRESHOLD_MS} ms)`,
    },
    ...probes,
  ];
}
