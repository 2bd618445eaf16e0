import type { ChatMessage, Passage } from "../llm/chat-model";
import { estimateTokens } from "../llm/tokens";

/** Token budgets of one prompt: context first (it grounds the answer), then recent history. */
export const CONTEXT_TOKEN_BUDGET = 6_000;
export const HISTORY_TOKEN_BUDGET = 2_000;

const TONE_INSTRUCTIONS = {
  friendly: "Be warm and approachable, and keep it simple.",
  professional: "Be courteous, precise and concise.",
  casual: "Be relaxed and conversational, like a helpful colleague.",
} as const;

const LANGUAGE_NAMES: Record<string, string> = {
  en: "English",
  es: "Spanish",
  fr: "French",
  de: "German",
  pt: "Portuguese",
  it: "Italian",
  nl: "Dutch",
  ar: "Arabic",
  he: "Hebrew",
  ru: "Russian",
  zh: "Chinese",
  ja: "Japanese",
};

/** What a prompt is assembled from. */
export interface PromptInput {
  systemPrompt: string;
  tone: keyof typeof TONE_INSTRUCTIONS;
  language: string;
  passages: Passage[];
  /** Earlier turns, oldest first; the newest are kept when the budget runs out. */
  history: ChatMessage[];
  question: string;
}

/**
 * The messages sent to a model: our grounding rules, the assistant's own system prompt and
 * tone, the numbered passages, as much recent history as the budget allows, and the question.
 */
export function assemblePrompt(input: PromptInput): ChatMessage[] {
  const context: string[] = [];
  let used = 0;
  for (const [i, p] of input.passages.entries()) {
    const block = `[${i + 1}] ${p.title}\n${p.content}`;
    const cost = estimateTokens(block);
    if (used + cost > CONTEXT_TOKEN_BUDGET && context.length > 0) break;
    context.push(block);
    used += cost;
  }
  const language = LANGUAGE_NAMES[input.language] ?? "the visitor's language";
  const system = [
    input.systemPrompt.trim() || "You are the customer-support assistant of this business.",
    TONE_INSTRUCTIONS[input.tone],
    "Answer only from the numbered help-centre passages below. Cite the passages you use as [n].",
    "If the passages do not contain the answer, say plainly that you don't know and offer to connect the visitor with a person. Never invent policies, prices or links.",
    `Answer in ${language}.`,
    context.length > 0 ? `Passages:\n\n${context.join("\n\n")}` : "Passages: none were found for this question.",
  ].join("\n\n");

  const history: ChatMessage[] = [];
  let historyUsed = 0;
  for (let i = input.history.length - 1; i >= 0; i--) {
    const m = input.history[i]!;
    const cost = estimateTokens(m.content);
    if (historyUsed + cost > HISTORY_TOKEN_BUDGET) break;
    history.unshift(m);
    historyUsed += cost;
  }
  return [{ role: "system", content: system }, ...history, { role: "user", content: input.question }];
}
