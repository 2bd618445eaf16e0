import { terms } from "../llm/terms";

const termSet = (text: string) => new Set(terms(text));

/** Share of a sentence's terms the passages must contain for the sentence to count as supported. */
const SUPPORTED_SENTENCE_OVERLAP = 0.6;
/** Weight of retrieval against answer support; equal, as neither alone is trustworthy. */
const RETRIEVAL_WEIGHT = 0.5;

/** The evidence behind one answer. */
export interface ConfidenceInput {
  question: string;
  answer: string;
  passages: { title: string; content: string }[];
}

/** How much of the question the best passage covers: 0 when nothing was retrieved. */
export function retrievalCoverage(question: string, passages: ConfidenceInput["passages"]): number {
  const q = termSet(question);
  if (q.size === 0 || passages.length === 0) return 0;
  let best = 0;
  for (const p of passages) {
    const have = termSet(`${p.title} ${p.content}`);
    let hit = 0;
    for (const t of q) if (have.has(t)) hit += 1;
    best = Math.max(best, hit / q.size);
  }
  return best;
}

/** Share of the answer's sentences that the passages support, by term overlap. */
export function answerSupport(answer: string, passages: ConfidenceInput["passages"]): number {
  const source = termSet(passages.map((p) => `${p.title} ${p.content}`).join(" "));
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

/**
 * Confidence in [0, 1] that an answer is grounded: how well retrieval matched the question and
 * how much of the answer the retrieved passages support. Rounded to 3 decimals for storage.
 */
export function scoreConfidence(input: ConfidenceInput): number {
  if (input.passages.length === 0) return 0;
  const score =
    RETRIEVAL_WEIGHT * retrievalCoverage(input.question, input.passages) +
    (1 - RETRIEVAL_WEIGHT) * answerSupport(input.answer, input.passages);
  return Math.round(score * 1000) / 1000;
}
