import { answersType, questionForm } from "../llm/answer-types";
import { conceptTerms, questionTopicTerms } from "../llm/concepts";
import { terms } from "../llm/terms";

/**
 * Confidence that an answer is grounded and answers what was asked, from the same reading of
 * the question the `extractive` model answers with (its form and topic: `llm/answer-types.ts`,
 * `llm/concepts.ts`), so that what that model answers is confident and what it refuses is not.
 * A no-answer is decided before this (`isNoAnswer` in answer.ts) and scores 0.
 */

/** Share of a sentence's terms the passages must contain for the sentence to count as supported. */
const SUPPORTED_SENTENCE_OVERLAP = 0.6;
/** Weights of topic coverage, answer support and answer type; coverage first, as an answer can only be as good as what was retrieved. */
const COVERAGE_WEIGHT = 0.4;
const SUPPORT_WEIGHT = 0.3;
const TYPE_WEIGHT = 0.3;

/** The evidence behind one answer. */
export interface ConfidenceInput {
  question: string;
  answer: string;
  passages: { title: string; heading?: string | null; content: string }[];
}

/**
 * How much of the question's topic the best passage (title and heading included) covers: 0 when
 * nothing was retrieved or the question names nothing; 1 when it only asks for a kind of fact
 * ("what's your phone number?"), which the answer type then decides.
 */
export function retrievalCoverage(question: string, passages: ConfidenceInput["passages"]): number {
  if (passages.length === 0) return 0;
  const form = questionForm(question);
  const topics = new Set(questionTopicTerms(form.topicText));
  if (topics.size === 0) return form.types.length > 0 ? 1 : 0;
  let best = 0;
  for (const p of passages) {
    const have = new Set(conceptTerms(`${p.title}\n${p.heading ?? ""}\n${p.content}`));
    let hit = 0;
    for (const t of topics) if (have.has(t)) hit += 1;
    best = Math.max(best, hit / topics.size);
  }
  return best;
}

/** Share of the answer's sentences that the passages support, by term overlap. */
export function answerSupport(answer: string, passages: ConfidenceInput["passages"]): number {
  // Per passage part, not the parts joined: words never span a space, so the set is the same,
  // and each part's terms come from the memo of `llm/terms.ts` on the next turn on that passage.
  const source = new Set<string>();
  for (const p of passages) for (const part of [p.title, p.content]) for (const t of terms(part)) source.add(t);
  const sentences = answer
    .replace(/\[\d+\]/g, "")
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => terms(s))
    .filter((t) => t.length > 0);
  if (sentences.length === 0 || source.size === 0) return 0;
  let supported = 0;
  for (const s of sentences) {
    const overlap = s.filter((t) => source.has(t)).length / s.length;
    if (overlap >= SUPPORTED_SENTENCE_OVERLAP) supported += 1;
  }
  return supported / sentences.length;
}

/** 1 when the answer states the kind of fact the question asks for (or it asks for none), else 0. */
export function answerTypeMatch(question: string, answer: string): number {
  return answersType(answer.replace(/\s*\[\d+\]/g, ""), questionForm(question).types) ? 1 : 0;
}

/**
 * Confidence in [0, 1] that an answer is grounded and on the question: how much of the topic the
 * retrieved passages cover, how much of the answer they support, and whether the answer states
 * the kind of fact asked for. Rounded to 3 decimals for storage.
 */
export function scoreConfidence(input: ConfidenceInput): number {
  if (input.passages.length === 0) return 0;
  const score =
    COVERAGE_WEIGHT * retrievalCoverage(input.question, input.passages) +
    SUPPORT_WEIGHT * answerSupport(input.answer, input.passages) +
    TYPE_WEIGHT * answerTypeMatch(input.question, input.answer);
  return Math.round(score * 1000) / 1000;
}
