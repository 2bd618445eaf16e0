/** Current time as the ISO-8601 UTC string the API and the database use. */
export function nowIso(): string {
  return new Date().toISOString();
}

/** ISO timestamp `ms` milliseconds from now. */
export function isoIn(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;
