/** Arithmetic shared by the metrics sinks' reports. */
import type { SystemHealth } from "../../../schema/api";
import type { MetricsPeriod } from "./metrics-sink";

/** Routes a report lists: the busiest ones. */
export const REPORT_ROUTES = 20;

/** The p50/p95/p99 triple of a report. */
export type Percentiles = SystemHealth["requests"]["latency_ms"];

/** A triple with nothing measured. */
export const NO_PERCENTILES: Percentiles = { p50: null, p95: null, p99: null };

/** Events per minute over a period, to two decimals. */
export function perMinute(count: number, period: MetricsPeriod): number {
  const minutes = Math.max((period.to - period.from) / 60_000, 1 / 60);
  return Math.round((count / minutes) * 100) / 100;
}

/** Share of `part` in `whole` (0..1, four decimals); null for an empty whole. */
export function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/** A measured value for the API: rounded to a tenth of a millisecond; null stays null. */
export function ms(value: number | null | undefined): number | null {
  return value === null || value === undefined || !Number.isFinite(value) ? null : Math.round(value * 10) / 10;
}

/** Zero-based index of the nearest-rank `q`-quantile among `n` sorted values. */
export function nearestRank(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}
