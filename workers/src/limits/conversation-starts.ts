/**
 * How many conversations a widget may start from one client address. Each conversation brings a
 * fresh conversation token and its own per-conversation limits, so starting them must cost the
 * caller something it cannot reset: the bucket is the publishable key and the client address,
 * never the visitor id in the request body. `http/rate-limit/conversation-starts.ts` counts the
 * starts and turns a refusal into a 429.
 */
import { HOUR_MS, MINUTE_MS } from "../lib/time";
import { limitOf } from "./limit-vars";
import type { WindowSpec } from "./sliding-window";

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
  const limit = limitOf(vars.RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR, DEFAULT_VISITOR_CONVERSATIONS_PER_HOUR);
  return limit === null ? null : { name: "conversations", limit, windowMs: HOUR_MS, bucketMs: CONVERSATION_START_BUCKET_MS };
}
