/** Limits shared by the networked providers (OpenAI, Anthropic, Workers AI). */

/** Time to the response headers before a request counts as timed out, in milliseconds. */
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 15_000; // past this a visitor has given up waiting; fall back instead

/**
 * Retries an SDK makes on its own. Zero: both SDKs sleep whatever Retry-After says (OpenAI's up
 * to a minute, Anthropic's without a cap), which would stall a live answer. `fallback.ts` owns
 * retries instead: it honours only a short Retry-After and otherwise moves to the next model.
 */
export const DEFAULT_SDK_MAX_RETRIES = 0;

/** Answer length when neither the request nor the policy sets one (Anthropic requires a value). */
export const DEFAULT_MAX_TOKENS = 1024; // a support answer is a few paragraphs at most

/**
 * Each provider's default model, as `provider:model`: the models the README suggests and the
 * pricing table knows, small and inexpensive enough to allow on every plan. With the offline
 * `extractive` they form the model allow-list when the deployment sets none (`allowed-models.ts`).
 */
export const DEFAULT_PROVIDER_MODELS: readonly string[] = [
  "openai:gpt-4o-mini",
  "anthropic:claude-3-5-haiku-latest",
  "workers-ai:@cf/meta/llama-3.1-8b-instruct",
];
