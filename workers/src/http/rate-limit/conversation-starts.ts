/**
 * The HTTP side of the conversation-start limit (`limits/conversation-starts.ts`): counts a start
 * in the caller's limiter object and answers 429 when the hour's starts are used up.
 */
import type { Context } from "hono";
import { ApiError } from "../../lib/errors";
import { conversationStartWindow } from "../../limits/conversation-starts";
import type { RateLimitDecision } from "../../limits/rate-limiter-do";
import { subjectOf } from "../../limits/subject";
import type { AppEnv } from "../app-env";
import { rateLimitHeaders } from "./middleware";

/**
 * Counts a conversation a publishable key is about to start, in the same limiter object as the
 * key's other calls from that address; throws 429 `rate_limited` (Retry-After, X-RateLimit-*)
 * when the hour's starts are used up. Other callers are not counted here.
 */
export async function limitConversationStart(c: Context<AppEnv>): Promise<void> {
  const principal = c.get("principal");
  if (principal.kind !== "publishable_key") return;
  const window = conversationStartWindow(c.env);
  if (!window) return;
  const subject = subjectOf(principal, c.req.header("cf-connecting-ip"));
  let decision: RateLimitDecision;
  try {
    decision = await c.env.RATE_LIMITER.getByName(subject.name).hit([window]);
  } catch (err) {
    c.get("logger").warn("rate limiter unavailable; conversation start not limited", { subject: subject.name, error: err });
    return;
  }
  if (!decision.allowed) {
    throw new ApiError(
      "rate_limited",
      "too many conversations started from this address; retry later",
      { window: decision.window, limit: decision.limit, retry_after_seconds: decision.retryAfterSeconds },
      { "Retry-After": String(decision.retryAfterSeconds), ...rateLimitHeaders(decision) },
    );
  }
}
