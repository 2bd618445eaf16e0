import { chunked } from "../lib/chunked";
import type { ChatChunk, ChatModel, ChatRequest, FinishReason, Passage } from "./chat-model";
import { abortedError } from "./model-error";
import { answersType, questionForm } from "./answer-types";
import { conceptTerms, questionTopicTerms } from "./concepts";
import { foldText, splitSentences } from "./terms";
import { estimateTokens } from "./tokens";

/**
 * The offline default model: no network, no key, same answer every time. It answers with the
 * retrieved passages' own sentences that answer the question asked: of the kind of fact the
 * question's form asks for (a duration for "how long", a phone number for "what's your phone
 * number", see `answer-types.ts`) and about its topic (`concepts.ts`), cited once as `[n]`. When
 * no sentence does, it says plainly that it does not know and that the question goes to a person,
 * rather than quoting the nearest sentence.
 */

/** The configured name of this model. */
export const EXTRACTIVE_MODEL = "extractive";

/**
 * Share of the question's topic (weighted by rarity among the retrieved sentences) that the
 * answer (its one or two sentences, their title and heading) must contain: below it the passages are about something
 * else, however close, and a person answers better than the nearest sentence.
 */
const MIN_TOPIC_COVERAGE = 0.6;
/**
 * A topic word no retrieved sentence contains weighs as if one did: often it is the paraphrase of
 * a word the article uses ("font" for "text"), and weighing it as the rarest of all would refuse
 * most paraphrased questions; it still weighs as much as the rarest word found.
 */
const ABSENT_AS_DF = 1;
/** Weight of how much of the topic a sentence's whole passage covers: the answer sits in the passage about the question. */
const PASSAGE_FIT = 0.5;
/** Weight of a topic word found only in the passage's title or heading, against one in the sentence itself. */
const CONTEXT_WEIGHT = 0.5;
/** Prior for retrieval's order, as a share of the question's whole topic weight: the first passage is most often the right one. */
const RANK_WEIGHT = 0.3;
/** Small preference for a passage's first sentence: help articles state the answer first. */
const LEAD_WEIGHT = 0.05;
/**
 * Weight, against the average topic word, of a question verb repeated by the sentence ("how long
 * does it TAKE to charge" → "a full charge TAKES 4.5 hours"): such verbs say nothing about the
 * topic, so they are not topic words, but a sentence that repeats them is usually the one that
 * answers.
 */
const ECHO_WEIGHT = 0.75;
/** The verbs questions about a duration, a cost or an outcome are built on, folded, in the widget's languages. */
const ECHO_VERBS: ReadonlySet<string> = new Set(
  "take takes took taking last lasts lasted need needs cost costs get gets tarda tardan tarde dura duran demora demoran cuesta cuestan prend prennent dure durent coute coutent dauert dauern kostet kosten leva levam custa custam".split(" "),
);
/** The echo verbs of `text` reduced to a shared stem ("takes" and "take" meet). */
function echoVerbs(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of foldText(text).match(/\p{L}+/gu) ?? []) if (ECHO_VERBS.has(w)) out.add(w.slice(0, 4));
  return out;
}
const MAX_SENTENCE_CHARS = 400; // a longer "sentence" is a table or a run-on: cut at a word
const WORDS_PER_DELTA = 3; // small word groups, so the widget streams like an LLM answer would

/** The line given when the passages do not answer the question, by language: it says so, and that a person takes over. */
export const NO_ANSWER: Readonly<Record<string, string>> = {
  en: "I couldn't find this in our help articles, so I've passed your question to our team.",
  es: "No encontré esta información en nuestros artículos de ayuda, así que he pasado tu pregunta a nuestro equipo.",
  fr: "Je n'ai pas trouvé cette information dans nos articles d'aide, j'ai donc transmis votre question à notre équipe.",
  de: "Ich konnte dazu nichts in unseren Hilfeartikeln finden und habe Ihre Frage an unser Team weitergegeben.",
  pt: "Não encontrei essa informação nos nossos artigos de ajuda, por isso passei a sua pergunta à nossa equipa.",
};

/** The "don't know" line in `language` (a BCP 47 tag), English when it is not localised. */
export function noAnswerText(language?: string): string {
  const base = language?.toLowerCase().split(/[-_]/)[0] ?? "en";
  return NO_ANSWER[base] ?? (NO_ANSWER.en as string);
}

/** True when `text` is one of the "don't know" lines. */
export function isNoAnswerText(text: string): boolean {
  const trimmed = text.trim();
  return Object.values(NO_ANSWER).some((line) => line === trimmed);
}

interface Candidate {
  passage: number;
  document: string;
  position: number;
  text: string;
  /** Topic concepts of the sentence itself. */
  own: Set<string>;
  echoes: number;
  typed: boolean;
  coverage: number;
  score: number;
}

/**
 * The answer text for `question` from `passages`, or null when nothing answers it.
 *
 * Every sentence of every passage is a candidate. One is eligible when it states a fact of the
 * type the question asks for (any sentence, for a question of no particular type, as long as it
 * names part of the topic itself or opens a passage whose title does) and, together with its
 * title, heading and at most one more sentence of the same document, it covers enough of the
 * question's topic. The best eligible sentence is the answer (topic words in the sentence count
 * fully, in its title or heading half, plus priors for how much
 * of the topic its passage covers, for retrieval's order and for repeating the question's verb);
 * the second sentence joins it only when it names a topic word the first and its title leave
 * out. One marker cites them: the passage of the first.
 */
export function extractAnswer(question: string, passages: readonly Passage[]): string | null {
  const form = questionForm(question);
  const topics = [...new Set(questionTopicTerms(form.topicText))];
  if (topics.length === 0 && form.types.length === 0) return null;
  const questionEchoes = echoVerbs(question);

  const seen = new Set<string>();
  const candidates: Candidate[] = [];
  const passageTerms: Set<string>[] = [];
  const contextTerms: Set<string>[] = [];
  passages.forEach((passage, p) => {
    passageTerms.push(new Set(conceptTerms(passage.content)));
    contextTerms.push(new Set(conceptTerms(`${passage.title}\n${passage.heading ?? ""}`)));
    splitSentences(passage.content).forEach((text, position) => {
      const key = conceptTerms(text).join(" ") || text;
      if (seen.has(key)) return; // overlapping chunks repeat sentences
      seen.add(key);
      candidates.push({
        passage: p,
        document: passage.document_id,
        position,
        text,
        own: new Set(conceptTerms(text)),
        echoes: [...echoVerbs(text)].filter((v) => questionEchoes.has(v)).length,
        typed: answersType(text, form.types),
        coverage: 0,
        score: 0,
      });
    });
  });
  if (candidates.length === 0) return null;

  // Rarer topic words weigh more (BM25's idf over the candidate sentences); a word no sentence
  // contains weighs most: it is usually what the question is really about.
  const weight = new Map<string, number>();
  for (const t of topics) {
    const df = candidates.filter((c) => c.own.has(t)).length;
    weight.set(t, Math.log(1 + (candidates.length - Math.max(df, ABSENT_AS_DF) + 0.5) / (Math.max(df, ABSENT_AS_DF) + 0.5)));
  }
  const total = [...weight.values()].reduce((a, b) => a + b, 0);

  const weightOf = (ts: Iterable<string>) => {
    let sum = 0;
    for (const t of ts) sum += weight.get(t) ?? 0;
    return sum;
  };
  const coveredBy = (c: Candidate) => topics.filter((t) => c.own.has(t) || contextTerms[c.passage]?.has(t));
  /** The sentence of the same document that names the most of what `c` and its title leave out. */
  const complementOf = (c: Candidate): Candidate | null => {
    const have = new Set(coveredBy(c));
    const missing = topics.filter((t) => !have.has(t));
    let best: Candidate | null = null;
    let bestAdds = 0;
    if (missing.length === 0) return null;
    for (const o of candidates) {
      if (o === c || o.document !== c.document) continue;
      const adds = weightOf(missing.filter((t) => o.own.has(t)));
      if (adds > bestAdds) {
        best = o;
        bestAdds = adds;
      }
    }
    return best;
  };

  // How much of the topic each passage covers as a whole: the sentence that answers sits in the
  // passage that is about the question, not in whichever passage shares a word with it.
  const passageFit = passages.map((_, p) => weightOf(topics.filter((t) => passageTerms[p]?.has(t) || contextTerms[p]?.has(t))));
  const complements = new Map<Candidate, Candidate | null>();
  for (const c of candidates) {
    if (!c.typed) continue;
    const complement = complementOf(c);
    complements.set(c, complement);
    let covered = 0;
    let score = 0;
    for (const t of topics) {
      const w = weight.get(t) ?? 0;
      if (c.own.has(t)) {
        covered += w;
        score += w;
      } else if (contextTerms[c.passage]?.has(t)) {
        covered += w;
        score += CONTEXT_WEIGHT * w;
      } else if (complement?.own.has(t)) {
        covered += w; // counts for coverage, not for choosing: the first sentence should answer by itself
      }
    }
    c.coverage = total > 0 ? covered / total : 1;
    const prior = Math.max(total, 1);
    const averageWeight = topics.length > 0 ? total / topics.length : 1;
    c.score =
      score +
      PASSAGE_FIT * passageFit[c.passage]! +
      ECHO_WEIGHT * averageWeight * c.echoes +
      (RANK_WEIGHT * prior) / (1 + c.passage) +
      (c.position === 0 ? LEAD_WEIGHT * prior : 0);
  }

  const namesTopic = (c: Candidate) =>
    topics.some((t) => c.own.has(t)) || (c.position === 0 && topics.some((t) => contextTerms[c.passage]?.has(t)));
  const eligible = candidates.filter(
    (c) => c.typed && c.coverage >= MIN_TOPIC_COVERAGE && (form.types.length > 0 || namesTopic(c)),
  );
  const best = eligible.sort((a, b) => b.score - a.score || a.passage - b.passage || a.position - b.position)[0];
  if (!best) return null;

  const second = complements.get(best);
  const chosen = second ? [best, second] : [best];
  if (second && second.passage === best.passage) chosen.sort((a, b) => a.position - b.position);
  return cite(chosen.map((c) => clip(c.text)).join(" "), best.passage + 1);
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
  return chunked(words, wordsPerGroup).map((group) => group.join(""));
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
  /** It quotes passages: it cannot call tools, and reads none of a request's. */
  readonly supportsTools = false;

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
