/**
 * How many conversations a widget may start from one client address. Each conversation brings a
 * fresh conversation token and its own per-conversation limits, so starting them must cost the
 * caller something it cannot reset: the bucket is the publishable key and the client address,
 * never the visitor id in the request body.
 */
import type { Context } from "hono";
import { HOUR_MS, MINUTE_MS } from "../../lib/time";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { rateLimitHeaders } from "./middleware";
import type { RateLimitDecision } from "./rate-limiter-do";
import type { WindowSpec } from "./sliding-window";
import { subjectOf } from "./subject";
import { parseLimit } from "./tiers";

/**
 * Conversations per sliding hour per publishable key and client address. A visitor starts one,
 * now and then a second with "new conversation"; sixty leaves room for a shared office,
 * school or carrier address, and stops a script from minting conversations (and their tokens)
 * in bulk: its messages then also share one visitor bucket per key and address.
 */
export const DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR = 60;
const CONVERSATION_START_BUCKET_MS = 5 * MINUTE_MS; // 12 rows at most; error bounded by a twelfth of an hour

/** The variable overriding the limit: a positive integer, or `off`. */
export type ConversationStartVars = Partial<Record<"RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR", string>>;

/** The window of conversation starts after overrides; null when switched off. */
export function conversationStartWindow(vars: ConversationStartVars): WindowSpec | null {
  const parsed = parseLimit(vars.RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR);
  const limit = parsed === undefined ? DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR : parsed;
  return limit === null ? null : { name: "conversations", limit, windowMs: HOUR_MS, bucketMs: CONVERSATION_START_BUCKET_MS };
}

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
