import type { ChatMessage } from "./chat-model";
import { rawArguments } from "./tool-calls";

/**
 * Cheap token estimates for budgets and for usage a provider did not report. Exact counts need
 * each model's tokenizer (megabytes of vocabulary per provider); a budget only needs to be in
 * the right range, so this counts characters instead.
 */

const CHARS_PER_TOKEN = 4; // English averages ~4 characters per token on GPT and Claude tokenizers
const TOKENS_PER_MESSAGE = 4; // role and separators each message adds in chat formats
/** Han, Hiragana, Katakana and Hangul: about one token per character, not one per four. */
const DENSE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/gu;

/** Roughly how many tokens `text` costs. */
export function estimateTokens(text: string): number {
  if (text === "") return 0;
  const dense = text.match(DENSE_SCRIPT)?.length ?? 0;
  return dense + Math.ceil((text.length - dense) / CHARS_PER_TOKEN);
}

/** Roughly how many tokens a prompt costs, with the per-message overhead of chat formats and the tool calls it carries. */
export function estimateChatTokens(messages: readonly ChatMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += TOKENS_PER_MESSAGE + estimateTokens(message.content);
    if (message.role === "assistant") for (const call of message.tool_calls ?? []) total += estimateTokens(call.name + rawArguments(call));
  }
  return total;
}
