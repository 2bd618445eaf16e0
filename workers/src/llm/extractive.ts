import type { ChatChunk, ChatModel, ChatRequest, FinishReason, Passage } from "./chat-model";
import { abortedError } from "./model-error";
import { splitSentences, terms } from "./terms";
import { estimateTokens } from "./tokens";

/**
 * The offline default model: no network, no key, same answer every time. It answers with the
 * retrieved passages' own sentences that best match the question, in their order, cited as
 * `[n]`, and says plainly that it does not know when none of them does.
 */

/** The configured name of this model. */
export const EXTRACTIVE_MODEL = "extractive";

const MAX_ANSWER_SENTENCES = 3; // a short answer; the visitor can open the cited article for more
const RELATIVE_SCORE_FLOOR = 0.3; // drop sentences scoring under 30% of the best: tail noise
const MIN_QUESTION_COVERAGE = 0.5; // the answer must contain at least half of the question's terms
const MAX_SENTENCE_CHARS = 400; // a longer "sentence" is a table or a run-on: cut at a word
const WORDS_PER_DELTA = 3; // small word groups, so the widget streams like an LLM answer would
const BM25_K1 = 1.2; // standard BM25 term-frequency saturation
const BM25_B = 0.75; // standard BM25 length normalisation

/** The line given when the passages do not answer the question, by language. */
export const NO_ANSWER: Readonly<Record<string, string>> = {
  en: "I couldn't find this in our help articles.",
  es: "No encontré esta información en nuestros artículos de ayuda.",
  fr: "Je n'ai pas trouvé cette information dans nos articles d'aide.",
  de: "Ich konnte dazu nichts in unseren Hilfeartikeln finden.",
  pt: "Não encontrei essa informação nos nossos artigos de ajuda.",
};

/** The "don't know" line in `language` (a BCP 47 tag), English when it is not localised. */
export function noAnswerText(language?: string): string {
  const base = language?.toLowerCase().split(/[-_]/)[0] ?? "en";
  return NO_ANSWER[base] ?? (NO_ANSWER.en as string);
}

interface Candidate {
  passage: number;
  position: number;
  text: string;
  terms: string[];
  score: number;
  matched: Set<string>;
}

/**
 * The answer text for `question` from `passages`, or null when nothing answers it. Sentences are
 * ranked by BM25 against the question (every sentence of every passage is a document), the best
 * few kept in passage order, and each passage's group ends with its citation marker.
 */
export function extractAnswer(question: string, passages: readonly Passage[]): string | null {
  const questionTerms = [...new Set(terms(question))];
  if (questionTerms.length === 0) return null;

  const candidates: Candidate[] = [];
  passages.forEach((passage, p) => {
    splitSentences(passage.content).forEach((text, position) => {
      candidates.push({ passage: p, position, text, terms: terms(text), score: 0, matched: new Set() });
    });
  });
  if (candidates.length === 0) return null;

  const documentFrequency = new Map<string, number>();
  for (const c of candidates) for (const t of new Set(c.terms)) documentFrequency.set(t, (documentFrequency.get(t) ?? 0) + 1);
  const averageLength = candidates.reduce((sum, c) => sum + c.terms.length, 0) / candidates.length || 1;

  for (const c of candidates) {
    const frequency = new Map<string, number>();
    for (const t of c.terms) frequency.set(t, (frequency.get(t) ?? 0) + 1);
    for (const q of questionTerms) {
      const tf = frequency.get(q);
      if (!tf) continue;
      const df = documentFrequency.get(q) ?? 0;
      const idf = Math.log(1 + (candidates.length - df + 0.5) / (df + 0.5));
      const norm = tf + BM25_K1 * (1 - BM25_B + (BM25_B * c.terms.length) / averageLength);
      c.score += (idf * tf * (BM25_K1 + 1)) / norm;
      c.matched.add(q);
    }
  }

  const seen = new Set<string>();
  const ranked = candidates
    .filter((c) => c.score > 0)
    .sort((a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position)
    .filter((c) => {
      const key = c.terms.join(" ");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  const best = ranked[0];
  if (!best) return null;
  const chosen = ranked.filter((c) => c.score >= best.score * RELATIVE_SCORE_FLOOR).slice(0, MAX_ANSWER_SENTENCES);

  const covered = new Set(chosen.flatMap((c) => [...c.matched]));
  if (covered.size / questionTerms.length < MIN_QUESTION_COVERAGE) return null;

  chosen.sort((a, b) => a.passage - b.passage || a.position - b.position);
  const groups: string[] = [];
  let group: string[] = [];
  chosen.forEach((c, i) => {
    group.push(clip(c.text));
    const next = chosen[i + 1];
    if (!next || next.passage !== c.passage) {
      groups.push(cite(group.join(" "), c.passage + 1));
      group = [];
    }
  });
  return groups.join(" ");
}

/** `text` cut to MAX_SENTENCE_CHARS at a word boundary. */
function clip(text: string): string {
  if (text.length <= MAX_SENTENCE_CHARS) return text;
  const cut = text.slice(0, MAX_SENTENCE_CHARS);
  return `${cut.slice(0, cut.lastIndexOf(" ")).replace(/[\s,;:]+$/, "")}…`;
}

/** `text` with ` [n]` before its final punctuation: "Refunds take 5 days [1]." */
function cite(text: string, n: number): string {
  const end = /[.!…。！]+$/u.exec(text);
  return end ? `${text.slice(0, end.index)} [${n}]${end[0]}` : `${text} [${n}]`;
}

/** `text` as word groups whose concatenation is exactly `text`. */
export function wordGroups(text: string, wordsPerGroup = WORDS_PER_DELTA): string[] {
  const words = text.match(/\S+\s*/g) ?? [];
  const groups: string[] = [];
  for (let i = 0; i < words.length; i += wordsPerGroup) groups.push(words.slice(i, i + wordsPerGroup).join(""));
  return groups;
}

/** `text` cut to about `maxTokens`, at a word. */
function truncateToTokens(text: string, maxTokens: number): string {
  const words = text.match(/\S+\s*/g) ?? [];
  let out = "";
  for (const word of words) {
    if (estimateTokens(out + word) > maxTokens) break;
    out += word;
  }
  return out.trimEnd();
}

/** The extractive model as a `ChatModel`. */
export class ExtractiveChatModel implements ChatModel {
  readonly name = EXTRACTIVE_MODEL;

  async *stream(req: ChatRequest): AsyncGenerator<ChatChunk> {
    if (req.signal?.aborted) throw abortedError(this.name, req.signal.reason);
    let answer = extractAnswer(req.question, req.passages) ?? noAnswerText(req.language);
    let finishReason: FinishReason = "stop";
    if (req.maxTokens !== undefined && estimateTokens(answer) > req.maxTokens) {
      answer = truncateToTokens(answer, req.maxTokens);
      finishReason = "length";
    }
    for (const text of wordGroups(answer)) {
      if (req.signal?.aborted) throw abortedError(this.name, req.signal.reason);
      yield { type: "delta", text };
    }
    const read = req.passages.reduce((sum, p) => sum + estimateTokens(p.content), estimateTokens(req.question));
    yield {
      type: "done",
      model: this.name,
      usage: { input_tokens: read, output_tokens: estimateTokens(answer), estimated: true },
      finish_reason: finishReason,
    };
  }
}
