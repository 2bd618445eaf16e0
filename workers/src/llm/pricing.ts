import type { TokenUsage } from "./chat-model";

/**
 * What an answer cost, for the analytics summary's "estimated cost". List prices only: batch,
 * cached-input and negotiated discounts are ignored, so this is an upper estimate.
 */

/** USD per one million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

const TOKENS_PER_PRICE_UNIT = 1_000_000; // providers quote prices per million tokens

/**
 * List prices by configured model name (provider list prices, 2025). A dated snapshot or an
 * alias such as `claude-3-5-haiku-20241022` or `-latest` is priced by its longest matching
 * prefix here. Workers AI bills in neurons; these are Cloudflare's published per-token
 * equivalents.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  extractive: { input: 0, output: 0 },
  "openai:gpt-4o-mini": { input: 0.15, output: 0.6 },
  "openai:gpt-4o": { input: 2.5, output: 10 },
  "openai:gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "openai:gpt-4.1": { input: 2, output: 8 },
  "openai:gpt-5-nano": { input: 0.05, output: 0.4 },
  "openai:gpt-5-mini": { input: 0.25, output: 2 },
  "openai:gpt-5": { input: 1.25, output: 10 },
  "anthropic:claude-3-haiku": { input: 0.25, output: 1.25 },
  "anthropic:claude-3-5-haiku": { input: 0.8, output: 4 },
  "anthropic:claude-haiku-4-5": { input: 1, output: 5 },
  "anthropic:claude-3-5-sonnet": { input: 3, output: 15 },
  "anthropic:claude-3-7-sonnet": { input: 3, output: 15 },
  "anthropic:claude-sonnet-4": { input: 3, output: 15 },
  "anthropic:claude-opus-4": { input: 15, output: 75 },
  "workers-ai:@cf/meta/llama-3.1-8b-instruct-fast": { input: 0.045, output: 0.384 },
  "workers-ai:@cf/meta/llama-3.1-8b-instruct": { input: 0.282, output: 0.827 },
  "workers-ai:@cf/meta/llama-3.3-70b-instruct-fp8-fast": { input: 0.293, output: 2.253 },
};

/** The list price of `model`, or undefined for a model without one (e.g. a self-hosted Ollama). */
export function priceOf(model: string): ModelPrice | undefined {
  const exact = MODEL_PRICES[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const key of Object.keys(MODEL_PRICES)) {
    if (model.startsWith(`${key}-`) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? undefined : MODEL_PRICES[best];
}

/** Estimated USD cost of `usage` on `model`; null when the model has no known price. */
export function estimateCostUsd(model: string, usage: Pick<TokenUsage, "input_tokens" | "output_tokens">): number | null {
  const price = priceOf(model);
  if (!price) return null;
  const cost = (usage.input_tokens * price.input + usage.output_tokens * price.output) / TOKENS_PER_PRICE_UNIT;
  return Math.round(cost * 1e9) / 1e9; // nano-dollars: below any bill, above float noise
}
