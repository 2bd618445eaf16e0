import type { TokenUsage } from "./chat-model";

/**
 * The only error a `ChatModel` stream throws: provider failures mapped to a few kinds the
 * fallback chain and the conversation engine can act on without knowing the provider.
 */

/**
 * What went wrong:
 * - `rate_limited`: 429, or the account's quota is used up.
 * - `overloaded`: the provider is out of capacity (Anthropic 529 `overloaded_error`).
 * - `server_error`: 5xx, or an error event in the middle of a stream.
 * - `timeout`: no response before the first-byte timeout.
 * - `connection`: could not connect, or the stream was cut before it finished.
 * - `aborted`: the caller's signal fired.
 * - `auth`: 401/403, the key is missing, wrong or not allowed this model.
 * - `invalid_request`: any other 4xx (unknown model, prompt too long, bad parameter).
 */
export type ModelErrorKind =
  | "rate_limited"
  | "overloaded"
  | "server_error"
  | "timeout"
  | "connection"
  | "aborted"
  | "auth"
  | "invalid_request";

/** Kinds that may succeed if asked again (or asked of another provider). */
const RETRYABLE_KINDS: ReadonlySet<ModelErrorKind> = new Set([
  "rate_limited",
  "overloaded",
  "server_error",
  "timeout",
  "connection",
]);

/** Details of a `ModelError` besides its kind and message. */
export interface ModelErrorOptions {
  /** The configured model that failed (`openai:gpt-4o-mini`). */
  model: string;
  /** HTTP status of the provider's answer, when there was one. */
  status?: number;
  /** How long the provider asked us to wait before retrying (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
  /** Tokens earlier steps of the same answer already consumed (a tool loop failing at step 2). */
  usage?: TokenUsage;
}

/** A provider failure, typed so callers decide on `kind` and `retryable`, never on messages. */
export class ModelError extends Error {
  override readonly name = "ModelError";
  readonly kind: ModelErrorKind;
  readonly model: string;
  readonly status: number | undefined;
  /** True when the same request may succeed later or elsewhere (429, 5xx, 529, timeouts, cuts). */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  /** Tokens spent before the failure by earlier, complete steps; to be metered all the same. */
  readonly usage: TokenUsage | undefined;

  constructor(kind: ModelErrorKind, message: string, options: ModelErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.model = options.model;
    this.status = options.status;
    this.retryable = RETRYABLE_KINDS.has(kind);
    this.retryAfterMs = options.retryAfterMs;
    this.usage = options.usage;
  }
}

/** The kind an HTTP error status stands for (429 → `rate_limited`, 529 → `overloaded`, …). */
export function kindForStatus(status: number): ModelErrorKind {
  if (status === 429) return "rate_limited";
  if (status === 529) return "overloaded";
  if (status === 408) return "timeout";
  if (status === 401 || status === 403) return "auth";
  // 409 is a lock timeout upstream: the SDKs retry it, so do we.
  if (status === 409 || status >= 500) return "server_error";
  return "invalid_request";
}

/**
 * Milliseconds a provider asked us to wait, from `retry-after-ms` (OpenAI) or `retry-after`
 * (seconds or an HTTP date); undefined when absent or unreadable.
 */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get("retry-after-ms");
  if (ms !== null && ms.trim() !== "" && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Number(ms);
  const value = headers.get("retry-after");
  if (value === null || value.trim() === "") return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The error that ends a stream whose signal fired. */
export function abortedError(model: string, cause?: unknown): ModelError {
  return new ModelError("aborted", "the answer was stopped", { model, cause });
}
