/**
 * The windows an API call is counted in, by who makes it: a burst limit per sliding minute for
 * everyone, and for metered subjects the plan's monthly quota (`billing/plans.ts`).
 */
import { MONTHLY_CALLS_BY_PLAN, type Plan } from "../billing/plans";
import { DAY_MS, MINUTE_MS, SECOND_MS } from "../lib/time";
import { limitOf } from "./limit-vars";
import type { WindowSpec } from "./sliding-window";

/** Who a limit is counted for: a secret API key, a dashboard user, or a widget visitor. */
export type SubjectKind = "key" | "user" | "visitor";

/**
 * The monthly quota is a sliding 30-day window, not a calendar month: the same mechanism as
 * the burst window, no time zone to argue about, no double quota across the 1st (a caller
 * could otherwise spend a month's calls on the 31st and again on the 1st), and a Reset header
 * that means what it says. 30 one-day buckets keep it to at most 31 rows per subject.
 */
export const MONTHLY_WINDOW_MS = 30 * DAY_MS;
/** Bucket of the monthly windows; the estimate approximates only the oldest day of thirty. */
export const MONTHLY_BUCKET_MS = DAY_MS;

/** Length of the burst window: limits below are calls per sliding minute. */
export const BURST_WINDOW_MS = MINUTE_MS;
const BURST_BUCKET_MS = 10 * SECOND_MS; // 7 rows at most, error bounded by one sixth of a minute

/**
 * Calls per sliding minute per subject, whatever the plan. 60/min for secret keys and users
 * (one a second sustained is far above any honest integration or dashboard session, and stops a
 * runaway loop within a minute); 60/min for visitors, who are counted per widget key and client
 * address (not per claimed visitor id): a person chatting sends a message every few seconds at
 * most, but one address may carry a whole office or carrier NAT, while a script behind one
 * widget key is still held to one call a second (and each conversation to its own, lower,
 * message limit in `socket-limits.ts`).
 */
export const DEFAULT_BURST_PER_MINUTE: Readonly<Record<SubjectKind, number>> = {
  key: 60,
  user: 60,
  visitor: 60,
};

/**
 * Variables that override the burst limits (self-hosting, load tests): a positive integer, or
 * `off` for no burst limit. Unset, empty or unreadable values keep the defaults above.
 * - `RATE_LIMIT_BURST_PER_MINUTE`: secret keys and dashboard users.
 * - `RATE_LIMIT_VISITOR_BURST_PER_MINUTE`: publishable keys and conversation tokens.
 */
export type RateLimitVars = Partial<Record<"RATE_LIMIT_BURST_PER_MINUTE" | "RATE_LIMIT_VISITOR_BURST_PER_MINUTE", string>>;

/** Calls per sliding minute for a subject kind, after overrides; null when switched off. */
export function burstPerMinute(kind: SubjectKind, vars: RateLimitVars): number | null {
  const raw = kind === "visitor" ? vars.RATE_LIMIT_VISITOR_BURST_PER_MINUTE : vars.RATE_LIMIT_BURST_PER_MINUTE;
  return limitOf(raw, DEFAULT_BURST_PER_MINUTE[kind]);
}

/** The burst window holding `limit` calls per sliding minute. */
export function burstWindow(limit: number): WindowSpec {
  return { name: "burst", limit, windowMs: BURST_WINDOW_MS, bucketMs: BURST_BUCKET_MS };
}

/** The monthly window holding `limit` calls per sliding 30 days. */
export function monthlyWindow(limit: number): WindowSpec {
  return { name: "monthly", limit, windowMs: MONTHLY_WINDOW_MS, bucketMs: MONTHLY_BUCKET_MS };
}

/** True when calls of this subject kind count against the plan's monthly quota. */
export function isMetered(kind: SubjectKind): boolean {
  return kind !== "user";
}

/**
 * Every window a call of this subject is checked against. `plan` is only read for metered
 * subjects, and an unknown plan (null) is held to the smallest quota. An empty list means the
 * call is not limited at all.
 */
export function windowsFor(kind: SubjectKind, plan: Plan | null, vars: RateLimitVars): WindowSpec[] {
  const windows: WindowSpec[] = [];
  const burst = burstPerMinute(kind, vars);
  if (burst !== null) windows.push(burstWindow(burst));
  const monthly = isMetered(kind) ? MONTHLY_CALLS_BY_PLAN[plan ?? "starter"] : null;
  if (monthly !== null) windows.push(monthlyWindow(monthly));
  return windows;
}
