import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { workspacePlan } from "../../billing/workspace-plan";
import { ApiError } from "../../lib/errors";
import { isMetered, windowsFor } from "../../limits/call-windows";
import type { RateLimitDecision } from "../../limits/rate-limiter-do";
import { subjectOf } from "../../limits/subject";
import { createDb } from "../../storage/db";
import type { AppEnv } from "../app-env";

/** The X-RateLimit-* headers (API.md) describing a decision's tightest window. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(decision.resetAt),
  };
}

/** Asks the subject's `RateLimiterDO` about this call; null when the call is not limited. */
async function decide(c: Context<AppEnv>): Promise<RateLimitDecision | null> {
  const principal = c.get("principal");
  if (!principal) return null;
  const subject = subjectOf(principal, c.req.header("cf-connecting-ip"));
  try {
    const plan = isMetered(subject.kind) ? await workspacePlan(createDb(c.env.DB), principal.workspaceId) : null;
    const windows = windowsFor(subject.kind, plan, c.env);
    if (windows.length === 0) return null;
    return await c.env.RATE_LIMITER.getByName(subject.name).hit(windows);
  } catch (err) {
    // Fail open: a limiter that cannot be reached must not take the whole API down with it.
    c.get("logger").warn("rate limiter unavailable; call not limited", { subject: subject.name, error: err });
    return null;
  }
}

/**
 * Counts the authenticated caller's call against its limits (see `limits/call-windows.ts`): puts the
 * X-RateLimit-* headers on the response, or refuses with 429 `rate_limited` and `Retry-After`
 * before anything else runs. Needs `principal` on the context; without one it lets the call by.
 */
export const rateLimit = createMiddleware<AppEnv>(async (c, next) => {
  const decision = await decide(c);
  if (!decision) return next();
  const headers = rateLimitHeaders(decision);
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      decision.window === "monthly"
        ? "monthly call quota of this plan is used up; retry later or upgrade the plan"
        : "too many requests; slow down and retry later",
      { window: decision.window, limit: decision.limit, retry_after_seconds: decision.retryAfterSeconds },
      { "Retry-After": String(decision.retryAfterSeconds), ...headers },
    );
  }
  // Set before `next()` so responses built with `c.json` (errors from `app.onError` too) carry them.
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  await next();
  // A handler returning its own `Response` (a stream) skips prepared headers; add them there.
  // A WebSocket upgrade (101) is left alone: its headers are the handshake's.
  if (c.res.status !== 101 && !c.res.headers.has("X-RateLimit-Limit")) {
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
  }
});
