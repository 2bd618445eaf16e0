/** The periods the overview and analytics pages offer, and how each is cut into chart buckets. */

/** A choosable period. */
export interface Period {
  id: string;
  label: string;
  ms: number;
  /** Buckets on the charts; each is one summary call, so they stay few. */
  buckets: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const PERIODS: Period[] = [
  { id: "24h", label: "Last 24 hours", ms: DAY, buckets: 6 },
  { id: "7d", label: "Last 7 days", ms: 7 * DAY, buckets: 7 },
  { id: "30d", label: "Last 30 days", ms: 30 * DAY, buckets: 10 },
  { id: "90d", label: "Last 90 days", ms: 90 * DAY, buckets: 9 },
];

/** The period named by `?period=`, else the last 7 days. */
export function periodOf(id: string | null): Period {
  return PERIODS.find((p) => p.id === id) ?? PERIODS[1]!;
}

/** `[from, to)` of the period ending now, and its buckets, as ISO strings. */
export function windowOf(period: Period, now = Date.now()) {
  const to = now + 1_000;
  const from = to - period.ms;
  const step = period.ms / period.buckets;
  const buckets = Array.from({ length: period.buckets }, (_, i) => ({
    from: new Date(from + i * step).toISOString(),
    to: new Date(from + (i + 1) * step).toISOString(),
  }));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), buckets };
}
