/**
 * Limits on the public credential routes: sign-in, refresh, invitation acceptance and sign-up.
 * They take no principal, so the per-key limiter (`middleware.ts`) never sees them; without
 * this they would be a free password and token oracle.
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
import type { Context } from "hono";
import { sha256Hex } from "../../lib/crypto";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "../../lib/time";
import type { AppEnv } from "../app-env";
import { ApiError, type ErrorCode } from "../errors";
import type { BackoffDecision, BackoffPolicy } from "./auth-backoff";
import { rateLimitHeaders } from "./middleware";
import type { RateLimitDecision } from "./rate-limiter-do";
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

/** Errors that mean "these credentials are wrong" (as opposed to a malformed request or our failure). */
const CREDENTIAL_FAILURES: ReadonlySet<ErrorCode> = new Set(["unauthorized", "not_found"]);

/** The variables that tune these limits: a positive integer, or `off`. */
export type AuthLimitVars = Partial<Record<"AUTH_RATE_LIMIT_PER_MINUTE" | "AUTH_FAILURES_BEFORE_BACKOFF", string>>;

/** The limits in force; null means switched off. */
export interface AuthLimits {
  /** Attempts per sliding minute per client address, and its failures before back-off. */
  attemptsPerMinute: number | null;
  /** Failed sign-ins per email before back-off. */
  emailFailures: number | null;
}

function parseLimit(raw: string | undefined, fallback: number): number | null {
  const value = raw?.trim().toLowerCase();
  if (value === "off") return null;
  return value && /^\d+$/.test(value) && Number(value) > 0 ? Number(value) : fallback;
}

/** The limits of this deployment; unset or unreadable variables keep the defaults. */
export function authLimits(vars: AuthLimitVars): AuthLimits {
  return {
    attemptsPerMinute: parseLimit(vars.AUTH_RATE_LIMIT_PER_MINUTE, DEFAULT_AUTH_ATTEMPTS_PER_MINUTE),
    emailFailures: parseLimit(vars.AUTH_FAILURES_BEFORE_BACKOFF, DEFAULT_EMAIL_FAILURES_BEFORE_BACKOFF),
  };
}

/** The back-off after `threshold` failures. */
export function authBackoffPolicy(threshold: number): BackoffPolicy {
  return { threshold, baseMs: AUTH_FIRST_WAIT_MS, maxMs: AUTH_LONGEST_WAIT_MS, memoryMs: FAILURE_MEMORY_MS };
}

function attemptWindow(limit: number): WindowSpec {
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

function backoffHeaders(b: BackoffDecision): Record<string, string> {
  return { "X-RateLimit-Limit": String(b.limit), "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": String(b.resetAt) };
}

function refusal(window: string, limit: number, retryAfterSeconds: number, headers: Record<string, string>): ApiError {
  return new ApiError(
    "rate_limited",
    "too many attempts; wait for the time in Retry-After before trying again",
    { window, limit, retry_after_seconds: retryAfterSeconds },
    { "Retry-After": String(retryAfterSeconds), ...headers },
  );
}

/**
 * Runs one credential check (`run`) under the limits: refuses with 429 `rate_limited`,
 * `Retry-After` and the X-RateLimit-* headers before `run` when the caller's address or the
 * email is over its limit; counts a failure when `run` throws 401 or 404; clears the email's
 * failures when it succeeds. Give `email` only where a password is checked against it.
 */
export async function limitCredentialCheck<T>(c: Context<AppEnv>, subject: { email?: string }, run: () => Promise<T>): Promise<T> {
  const { attemptsPerMinute, emailFailures } = authLimits(c.env);
  const address = c.req.header("cf-connecting-ip")?.trim() || "unknown";
  const byAddress =
    attemptsPerMinute === null
      ? null
      : { stub: c.env.RATE_LIMITER.getByName(addressSubject(address)), limit: attemptsPerMinute, policy: authBackoffPolicy(attemptsPerMinute) };
  const byEmail =
    subject.email === undefined || emailFailures === null
      ? null
      : { stub: c.env.RATE_LIMITER.getByName(await emailSubject(subject.email)), policy: authBackoffPolicy(emailFailures) };

  // Fail open, like the per-key limiter: a limiter that cannot be reached must not take sign-in down.
  const guarded = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      if (err instanceof ApiError) throw err;
      c.get("logger").warn("auth limiter unavailable; attempt not limited", { step: what, error: err });
    }
  };

  await guarded("check", async () => {
    if (byAddress) {
      const window: RateLimitDecision = await byAddress.stub.hit([attemptWindow(byAddress.limit)]);
      const headers = rateLimitHeaders(window);
      if (!window.allowed) throw refusal("auth_attempts", window.limit, window.retryAfterSeconds, headers);
      const backoff = await byAddress.stub.backoff("check", byAddress.policy);
      if (!backoff.allowed) throw refusal("auth_failures", backoff.limit, backoff.retryAfterSeconds, backoffHeaders(backoff));
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    }
    if (byEmail) {
      const backoff = await byEmail.stub.backoff("check", byEmail.policy);
      if (!backoff.allowed) throw refusal("auth_failures", backoff.limit, backoff.retryAfterSeconds, backoffHeaders(backoff));
    }
  });

  let result: T;
  try {
    result = await run();
  } catch (err) {
    if (err instanceof ApiError && CREDENTIAL_FAILURES.has(err.code)) {
      await guarded("failure", async () => {
        await Promise.all([byAddress?.stub.backoff("fail", byAddress.policy), byEmail?.stub.backoff("fail", byEmail.policy)]);
      });
    }
    throw err;
  }
  // Only the email's count is cleared: one good password must not buy an address more guesses.
  if (byEmail) {
    await guarded("success", async () => {
      await byEmail.stub.backoff("clear", byEmail.policy);
    });
  }
  return result;
}
