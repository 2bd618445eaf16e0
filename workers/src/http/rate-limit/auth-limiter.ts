/**
 * Runs credential checks under the limits of `limits/auth-limits.ts` (per client address, per
 * email): refuses with 429, `Retry-After` and the X-RateLimit-* headers, and counts failures.
 */
import type { Context } from "hono";
import { ApiError, type ErrorCode } from "../../lib/errors";
import type { BackoffDecision } from "../../limits/auth-backoff";
import { addressSubject, attemptWindow, authBackoffPolicy, authLimits, emailSubject } from "../../limits/auth-limits";
import type { RateLimitDecision } from "../../limits/rate-limiter-do";
import type { AppEnv } from "../app-env";
import { rateLimitHeaders } from "./middleware";

/** Errors that mean "these credentials are wrong" (as opposed to a malformed request or our failure). */
const CREDENTIAL_FAILURES: ReadonlySet<ErrorCode> = new Set(["unauthorized", "not_found"]);

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
