import type { ModelPolicy } from "../../../schema/api";

/**
 * Which model answers a question: simple questions go to the assistant's `cheap` model, complex
 * ones to its `strong` model, everything else to its `primary`. Complexity is a transparent
 * score of a few visible signals, returned with its reasons so a log line explains every choice.
 */

/** The two tiers of a model policy. */
export type ModelTier = "cheap" | "strong";

/** A signal that made a question look complex. */
export type ComplexitySignal = "long" | "very_long" | "multiple_questions" | "reasoning" | "code" | "numbers";

/** How complex a question looks, and why. */
export interface Complexity {
  /** One point per signal (two for `very_long`). */
  score: number;
  signals: ComplexitySignal[];
  tier: ModelTier;
}

/** The model chosen for a question. */
export interface Route {
  model: string;
  tier: ModelTier;
  complexity: Complexity;
}

/** Score from which a question goes to the strong model. */
export const STRONG_MIN_SCORE = 2; // one signal alone ("why", a long message) is common in simple questions
const LONG_QUESTION_CHARS = 280; // about three sentences: more than a one-line support question
const VERY_LONG_QUESTION_CHARS = 700; // a pasted email or log: counts twice

/**
 * Words asking for reasoning rather than a fact, in the five widget languages. Letter
 * lookarounds instead of `\b`, which only knows ASCII letters ("qué", "différence").
 */
const REASONING =
  /(?<![\p{L}\p{N}])(?:why|how come|compare|comparison|explain\w*|differences?|differ|versus|vs|pros and cons|trade-?offs?|troubleshoot\w*|step[- ]by[- ]step|por qu[eé]|comparar|explica\w*|diferencias?|pourquoi|compar\w+|expliqu\w+|diff[eé]rences?|warum|vergleich\w*|erkl[aä]r\w*|unterschied\w*|diferen[cç]as?)(?![\p{L}\p{N}])/iu;
/**
 * Code, commands, stack traces and error dumps. Only unmistakable shapes: plain words such as
 * "return", "select" or "import" are everyday support vocabulary.
 */
const CODE =
  /```|`[^`\n]+`|=>|\bfunction\s*\w*\s*\(|\b(?:const|let|var)\s+\w+\s*=|\bdef\s+\w+\s*\(|\b(?:curl|npm|sudo|pip)\s+-{0,2}\w|[{};]\s*$|\bTraceback\b|\b\w+(?:Error|Exception):|\bHTTP\/\d|\bstatus(?: code)? [45]\d\d\b/mu;
/** Arithmetic, percentages and amounts: a number that must be computed with. */
const QUANTITY = /\d\s*[%+*/×÷=]|[$€£¥]\s*\d|\d\s*(?:usd|eur|gbp|dollars?|euros?)\b/iu;

/** The complexity of `question`, from its length, question count, wording, code and numbers. */
export function assessComplexity(question: string): Complexity {
  const text = question.trim();
  const signals: ComplexitySignal[] = [];
  if (text.length > VERY_LONG_QUESTION_CHARS) signals.push("very_long");
  else if (text.length > LONG_QUESTION_CHARS) signals.push("long");
  const questionMarks = text.match(/[?？]/g)?.length ?? 0;
  const enumerated = text.match(/^\s*(?:\d+[.)]|[-*•])\s+/gm)?.length ?? 0;
  if (questionMarks >= 2 || enumerated >= 2) signals.push("multiple_questions");
  if (REASONING.test(text)) signals.push("reasoning");
  if (CODE.test(text)) signals.push("code");
  const numbers = text.match(/\d+(?:[.,]\d+)*/g)?.length ?? 0;
  if (numbers >= 3 || (numbers >= 1 && QUANTITY.test(text))) signals.push("numbers");
  const score = signals.reduce((sum, s) => sum + (s === "very_long" ? 2 : 1), 0);
  return { score, signals, tier: score >= STRONG_MIN_SCORE ? "strong" : "cheap" };
}

/**
 * The model for `question` under `policy`: its tier's model when the policy names one, else the
 * policy's `primary`, else `defaultModel` (the deployment's `CHAT_MODEL`).
 */
export function routeModel(policy: ModelPolicy, question: string, defaultModel: string): Route {
  const complexity = assessComplexity(question);
  const tiered = complexity.tier === "strong" ? policy.strong : policy.cheap;
  return { model: tiered ?? policy.primary ?? defaultModel, tier: complexity.tier, complexity };
}
