/** A calendar month in UTC: its key (`2026-11`) and its bounds as ISO timestamps. */
export interface UsagePeriod {
  period: string;
  from: string;
  to: string;
}

/** The calendar month (UTC) that `at` falls in. */
export function usagePeriod(at: Date = new Date()): UsagePeriod {
  const start = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
  const end = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1));
  return { period: start.toISOString().slice(0, 7), from: start.toISOString(), to: end.toISOString() };
}
