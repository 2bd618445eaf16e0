/**
 * Limits on the public credential routes: sign-in, refresh, invitation acceptance and sign-up.
 * They take no principal, so the per-key limiter (`http/rate-limit/middleware.ts`) never sees
 * them; without these they would be a free password and token oracle. Enforced by
 * `http/rate-limit/auth-limiter.ts`.
 *
 * - Per client address (`CF-Connecting-IP`): at most `AUTH_RATE_LIMIT_PER_MINUTE` attempts per
 *   sliding minute, and after as many failures a growing back-off (`auth-backoff.ts`).
 * - Per email (sign-in): after `AUTH_FAILURES_BEFORE_BACKOFF` failures, from any address, a
 *   growing back-off; a successful sign-in clears it. Unknown emails are counted exactly like
 *   known ones, so the limiter says nothing about which addresses have accounts.
 *
 * Counters live in `RateLimiterDO`s named `auth:ip:<address>` and `auth:email:<sha256>` (the
 * email itself is never a Durable Object name, which shows in logs and the dashboard).
 */
import { sha256Hex } from "../lib/crypto";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../lib/time";
import type { BackoffPolicy } from "./auth-backoff";
import { limitOf } from "./limit-vars";
import type { WindowSpec } from "./sliding-window";

/**
 * Attempts per sliding minute per client address when `AUTH_RATE_LIMIT_PER_MINUTE` is unset:
 * a person signs in a few times a day, but one address often stands for many people (an office
 * or carrier NAT, a dashboard server signing in for its users, a team's test suite), so the
 * ceiling is roomy; guessing is held back by the per-email back-off and, past this many
 * failures from one address, by the address's own growing back-off.
 */
export const DEFAULT_AUTH_ATTEMPTS_PER_MINUTE = 60;
/** Failed sign-ins per email before back-off, when `AUTH_FAILURES_BEFORE_BACKOFF` is unset: room for typos. */
export const DEFAULT_EMAIL_FAILURES_BEFORE_BACKOFF = 5;
/** The first wait after the threshold; it doubles with every further failure. */
export const AUTH_FIRST_WAIT_MS = 30 * SECOND_MS;
/** The longest wait: bounds how long someone else's guessing can keep a person out. */
export const AUTH_LONGEST_WAIT_MS = 15 * MINUTE_MS;
/** Failures are forgotten an hour after the last one: longer than the longest wait, so sitting one out does not reset the count. */
const FAILURE_MEMORY_MS = HOUR_MS;
const ATTEMPT_BUCKET_MS = 10 * SECOND_MS; // 7 rows per address at most, error bounded by a sixth of a minute

/** The variables that tune these limits: a positive integer, or `off`. */
export type AuthLimitVars = Partial<Record<"AUTH_RATE_LIMIT_PER_MINUTE" | "AUTH_FAILURES_BEFORE_BACKOFF", string>>;

/** The limits in force; null means switched off. */
export interface AuthLimits {
  /** Attempts per sliding minute per client address, and its failures before back-off. */
  attemptsPerMinute: number | null;
  /** Failed sign-ins per email before back-off. */
  emailFailures: number | null;
}

/** The limits of this deployment; unset or unreadable variables keep the defaults. */
export function authLimits(vars: AuthLimitVars): AuthLimits {
  return {
    attemptsPerMinute: limitOf(vars.AUTH_RATE_LIMIT_PER_MINUTE, DEFAULT_AUTH_ATTEMPTS_PER_MINUTE),
    emailFailures: limitOf(vars.AUTH_FAILURES_BEFORE_BACKOFF, DEFAULT_EMAIL_FAILURES_BEFORE_BACKOFF),
  };
}

/** The back-off after `threshold` failures. */
export function authBackoffPolicy(threshold: number): BackoffPolicy {
  return { threshold, baseMs: AUTH_FIRST_WAIT_MS, maxMs: AUTH_LONGEST_WAIT_MS, memoryMs: FAILURE_MEMORY_MS };
}

/** The window of attempts per sliding minute from one client address. */
export function attemptWindow(limit: number): WindowSpec {
  return { name: "auth_attempts", limit, windowMs: MINUTE_MS, bucketMs: ATTEMPT_BUCKET_MS };
}

/** Name of the limiter object of a client address. */
export function addressSubject(address: string): string {
  return `auth:ip:${address}`;
}

/** Name of the limiter object of an email (hashed; emails are compared lower-cased). */
export async function emailSubject(email: string): Promise<string> {
  return `auth:email:${await sha256Hex(email.trim().toLowerCase())}`;
}

