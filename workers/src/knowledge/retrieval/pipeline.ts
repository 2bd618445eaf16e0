import type { IndexedChunk, PhrasingSource, RetrievalBackend, RetrieveRequest, ScoredChunk } from "./backend";
import { aggregateByDocument, combineLegs, type RankedDocument, type ScoreNormalization } from "./fusion";
import { bestPerDocument, documentsMissing, fts5Idf, phrasingKeywordScore, withPhrasingEvidence } from "./phrasing-evidence";
import type { Reranker } from "./reranker";
import { keywordCandidates } from "./keyword-candidates";
import { FUNCTION_WORDS, matchExpression, queryTerms, tokens } from "./tokens";

/**
 * The ranking strategy, the same against every index: BM25F keyword search (FTS5, titles
 * weighted up) and vector search, each turned from chunks into documents, then fused by
 * normalised score rather than by rank. Optional pseudo-relevance feedback (RM3-style) widens
 * the keyword query with terms that the best first-pass documents share. Learned phrasings
 * (visitors' wordings of questions a document answers) add evidence for their documents in
 * both legs (phrasing-evidence.ts); an index without them ranks as if they did not exist.
 *
 * Every constant below was chosen on the tuning half of the development set (StackFAQ split by
 * FAQ id, see BENCHMARKS.md) and checked on its other half and on a variant without titles.
 */

/** Settings of the strategy; `RETRIEVAL_DEFAULTS` is what the product runs. */
export interface RetrievalOptions {
  /** Drop `FUNCTION_WORDS` from the keyword query (BM25's IDF weighs them down anyway). */
  dropFunctionWords: boolean;
  /** BM25 weight per `KEYWORD_COLUMNS` column (title, heading, content). */
  keywordWeights: readonly number[];
  /** Chunks each leg contributes before documents are formed. */
  candidates: number;
  /** ε in a document's max + ε·sum of its chunks' scores. */
  documentSumWeight: number;
  /** How each leg's scores are scaled before they are combined. */
  normalization: ScoreNormalization;
  /** Share of the keyword leg in the fused score, 0..1. */
  keywordShare: number;
  /**
   * How much a leg's confidence moves the shares: each leg's share is scaled by 1 + this × the
   * gap between its first and second document's normalised scores, then the shares are
   * renormalised. 0 keeps the shares fixed.
   */
  confidenceWeight: number;
  /** Pseudo-relevance feedback on the keyword leg, or null for none. */
  feedback: FeedbackOptions | null;
  /**
   * Rows one keyword pass may score (FTS5's bm25() costs about a microsecond a row): a bound on
   * the work of a search in a large index, not a ranking choice. An index with fewer chunks is
   * always ranked exactly; past it, see `keywordCandidates`.
   */
  keywordRowBudget: number;
}

/** RM3-style pseudo-relevance feedback. */
export interface FeedbackOptions {
  /** First-pass documents taken as relevant. */
  documents: number;
  /** Expansion terms added. */
  terms: number;
  /** Weight of the expansion query's (normalised) score against the original's, 0..1. */
  weight: number;
}

/**
 * What the product runs (each choice measured in BENCHMARKS.md). Title weight 8 over heading 4
 * and content 1: a question that shares its words with an FAQ's question is usually that FAQ,
 * and FTS5 normalises a chunk's length over all its columns, so a title needs a large weight to
 * count in a long chunk; content still decides between titles that match alike. A document is
 * its best chunk (ε = 0: summing chunks favoured long documents, −0.06 hit@1). 30 candidates per
 * leg: deep enough that a document ranked low by one leg and high by the other surfaces. Min-max
 * scaling with keyword share 0.6: the hash vectors are a second, fuzzier opinion on the same
 * words, worth a little less than exact terms. No feedback and fixed shares: both cost hit@1.
 */
export const RETRIEVAL_DEFAULTS: RetrievalOptions = {
  dropFunctionWords: false,
  keywordWeights: [8, 4, 1],
  candidates: 30,
  documentSumWeight: 0,
  normalization: "minmax",
  keywordShare: 0.6,
  confidenceWeight: 0,
  feedback: null,
  keywordRowBudget: 20_000,
};

/** Documents of the first-pass ranking a reranker reads: enough to lift an answer from rank 20, few enough for one model call. */
export const RERANK_DEPTH = 20;

/**
 * Learned phrasings read per query term: a bound on the work of one search, not a ranking
 * choice (an index with fewer phrasings per term reads them all).
 */
export const PHRASINGS_PER_TERM = 200;

/** What `retrieve` may use besides the index. */
export interface RetrieveExtras {
  /** The strategy's settings; `RETRIEVAL_DEFAULTS` when absent. */
  options?: RetrievalOptions;
  /** Reorders the top `RERANK_DEPTH` documents (hybrid and keyword mode); none by default. */
  reranker?: Reranker | null;
  /** Told when the reranker fails; the first-pass order is returned then. */
  onRerankError?: (err: unknown) => void;
}

/**
 * Ranks an assistant's chunks for a question, best first, at most `request.k`: the best chunk of
 * each of the best documents (a document counts once), then, if there are fewer documents than
 * `k`, further chunks of the same documents. Hybrid falls back to keyword search alone when
 * there is no query vector.
 */
export async function retrieve(backend: RetrievalBackend, request: RetrieveRequest, extras: RetrieveExtras = {}): Promise<ScoredChunk[]> {
  const ranked = await firstPass(backend, request, extras.options ?? RETRIEVAL_DEFAULTS);
  const k = Math.max(0, Math.floor(request.k));
  if (!extras.reranker || request.mode === "vector" || ranked.length < 2) return emit(ranked, k);
  try {
    return emit(await rerank(backend, request.query, ranked, extras.reranker), k);
  } catch (err) {
    extras.onRerankError?.(err);
    return emit(ranked, k);
  }
}

/**
 * The top `RERANK_DEPTH` documents in the reranker's order (by their best chunk's text, scores
 * replaced by the reranker's), the rest after them in their first-pass order and below them in score.
 */
async function rerank(backend: RetrievalBackend, query: string, docs: readonly RankedDocument[], reranker: Reranker): Promise<RankedDocument[]> {
  const head = docs.slice(0, RERANK_DEPTH);
  const texts = new Map((await backend.texts(head.flatMap((d) => (d.chunks[0] ? [d.chunks[0].chunkId] : [])))).map((t) => [t.chunkId, t]));
  const readable = head.filter((d) => texts.has(d.chunks[0]?.chunkId ?? ""));
  if (readable.length === 0) return [...docs];
  const scores = await reranker.score(
    query,
    readable.map((d) => {
      const t = texts.get(d.chunks[0]?.chunkId ?? "");
      return { id: d.documentId, text: [t?.title, t?.heading, t?.content].filter(Boolean).join("\n") };
    }),
  );
  const reordered = readable
    .map((d, i) => ({ ...d, score: scores[i] ?? 0, at: i }))
    .sort((a, b) => b.score - a.score || a.at - b.at)
    .map(({ at: _at, ...d }) => d);
  const floor = Math.min(...reordered.map((d) => d.score));
  const rest = docs.filter((d) => !reordered.some((r) => r.documentId === d.documentId));
  return [...reordered, ...rest.map((d, i) => ({ ...d, score: floor - 1 - i }))];
}

/** Keyword and vector legs, as documents, fused; best first. */
async function firstPass(backend: RetrievalBackend, request: RetrieveRequest, options: RetrievalOptions): Promise<RankedDocument[]> {
  if (Math.floor(request.k) <= 0) return [];
  const wantKeyword = request.mode !== "vector";
  const wantVector = request.mode !== "keyword" && request.queryVector !== null && request.queryVector.some((v) => v !== 0);
  const [keyword, vector] = await Promise.all([
    wantKeyword ? keywordLeg(backend, request.query, options) : Promise.resolve([]),
    wantVector && request.queryVector ? vectorLeg(backend, request.queryVector, options) : Promise.resolve([]),
  ]);
  if (request.mode === "keyword" || vector.length === 0) return keyword;
  if (request.mode === "vector" || keyword.length === 0) return vector;
  const fused = combineLegs(keyword, vector, options.normalization, confidentShare(keyword, vector, options));
  const chunksOf = new Map<string, ScoredChunk[]>();
  for (const doc of [...vector, ...keyword]) chunksOf.set(doc.documentId, doc.chunks); // keyword's copy wins
  return fused.map((d) => ({ documentId: d.documentId, score: d.score, chunks: chunksOf.get(d.documentId) ?? [] }));
}

/** The keyword leg's share, moved towards the leg whose first document stands further above its second. */
function confidentShare(keyword: readonly RankedDocument[], vector: readonly RankedDocument[], options: RetrievalOptions): number {
  if (options.confidenceWeight === 0) return options.keywordShare;
  const gap = (docs: readonly RankedDocument[]) => {
    const first = docs[0]?.score ?? 0;
    const second = docs[1]?.score ?? 0;
    const last = docs[docs.length - 1]?.score ?? 0;
    return first > last ? (first - second) / (first - last) : 0;
  };
  const k = options.keywordShare * (1 + options.confidenceWeight * gap(keyword));
  const v = (1 - options.keywordShare) * (1 + options.confidenceWeight * gap(vector));
  return k / (k + v);
}

/**
 * BM25F over the chunks, as documents; with feedback, fused with a second, expanded query; then
 * with the evidence of learned phrasings.
 */
async function keywordLeg(backend: RetrievalBackend, query: string, options: RetrievalOptions): Promise<RankedDocument[]> {
  const terms = queryTerms(query).filter((t) => !options.dropFunctionWords || !FUNCTION_WORDS.has(t));
  const match = matchExpression(terms);
  if (!match) return [];
  const docs = await keywordDocuments(backend, terms, match, options);
  const source = backend.phrasings;
  if (!source || (await source.count()) === 0) return docs;
  return withKeywordPhrasings(backend, source, terms, match, docs, options);
}

/**
 * Phrasings sharing the question's words count for their documents as a title would (see
 * phrasing-evidence.ts). Only terms that can move a score are looked up: one in at least half
 * the chunks has FTS5's floor IDF, and adds ~1e-6.
 */
async function withKeywordPhrasings(
  backend: RetrievalBackend,
  source: PhrasingSource,
  terms: readonly string[],
  match: string,
  docs: RankedDocument[],
  options: RetrievalOptions,
): Promise<RankedDocument[]> {
  const counts = await backend.termCounts(terms);
  const informative = terms.flatMap((term, i) => (2 * (counts.matching[i] ?? 0) < counts.chunks ? [{ term, idf: fts5Idf(counts.chunks, counts.matching[i] ?? 0) }] : []));
  if (informative.length === 0) return docs;
  const matches = await source.matching(
    informative.map((t) => t.term),
    PHRASINGS_PER_TERM,
  );
  if (matches.length === 0) return docs;
  const averageLength = await source.averageChunkLength();
  const idf = informative.map((t) => t.idf);
  const titleWeight = options.keywordWeights[0] ?? 1;
  const evidence = bestPerDocument(matches.map((m) => ({ documentId: m.documentId, score: phrasingKeywordScore(m, idf, titleWeight, averageLength) })));
  // Documents the phrasings bring in join like candidates: the best `candidates` of them.
  const missing = documentsMissing(docs, evidence).slice(0, options.candidates);
  const representative = missing.length > 0 ? await source.representativeChunks(missing, match, options.keywordWeights) : [];
  return withPhrasingEvidence(docs, evidence, representative);
}

/** BM25F over the chunks, as documents; with feedback, fused with a second, expanded query. */
async function keywordDocuments(backend: RetrievalBackend, terms: string[], match: string, options: RetrievalOptions): Promise<RankedDocument[]> {
  const chunks = await keywordCandidates(backend, terms, match, options);
  const docs = aggregateByDocument(chunks, options.documentSumWeight);
  if (!options.feedback || docs.length < 2) return docs;
  const expansion = await feedbackTerms(backend, terms, docs, chunks, options.feedback);
  const expanded = matchExpression(expansion);
  if (!expanded) return docs;
  const second = aggregateByDocument(await backend.keyword(expanded, options.keywordWeights, options.candidates), options.documentSumWeight);
  const merged = combineLegs(docs, second, "max", 1 - options.feedback.weight);
  const chunksOf = new Map<string, ScoredChunk[]>();
  for (const doc of [...second, ...docs]) chunksOf.set(doc.documentId, doc.chunks);
  return merged.map((d) => ({ documentId: d.documentId, score: d.score, chunks: chunksOf.get(d.documentId) ?? [] }));
}

/**
 * Cosine kNN over the chunks, as documents; a learned phrasing near the question counts for its
 * document with its own cosine (the same embedder, so the same scale as the chunks').
 */
async function vectorLeg(backend: RetrievalBackend, queryVector: readonly number[], options: RetrievalOptions): Promise<RankedDocument[]> {
  const chunks = await backend.vector(queryVector, options.candidates);
  const docs = aggregateByDocument(chunks, options.documentSumWeight);
  const source = backend.phrasings;
  if (!source || (await source.count()) === 0) return docs;
  const evidence = bestPerDocument(await source.nearest(queryVector, options.candidates));
  const missing = documentsMissing(docs, evidence);
  const representative = missing.length > 0 ? await source.representativeChunks(missing, null, options.keywordWeights) : [];
  return withPhrasingEvidence(docs, evidence, representative);
}

/**
 * Expansion terms, RM3-style: each term's share of the top documents' text, weighted by their
 * scores, against its share of all first-pass candidates (the local background). A word common
 * everywhere ("the", "you") is as frequent in the background as in the top documents and scores
 * about zero, so no stopword list is needed; a word the top documents share stands out.
 */
async function feedbackTerms(
  backend: RetrievalBackend,
  queryTermList: readonly string[],
  docs: readonly RankedDocument[],
  candidates: readonly ScoredChunk[],
  feedback: FeedbackOptions,
): Promise<string[]> {
  const texts = new Map<string, IndexedChunk>((await backend.texts(candidates.map((c) => c.chunkId))).map((t) => [t.chunkId, t]));
  const countsOf = (chunk: IndexedChunk | undefined) => {
    const counts = new Map<string, number>();
    if (!chunk) return { counts, total: 0 };
    const all = tokens(`${chunk.title}\n${chunk.heading}\n${chunk.content}`);
    for (const t of all) counts.set(t, (counts.get(t) ?? 0) + 1);
    return { counts, total: all.length };
  };
  const background = new Map<string, number>();
  let backgroundTotal = 0;
  for (const c of candidates) {
    const { counts, total } = countsOf(texts.get(c.chunkId));
    for (const [t, n] of counts) background.set(t, (background.get(t) ?? 0) + n);
    backgroundTotal += total;
  }
  if (backgroundTotal === 0) return [];
  const top = docs.slice(0, feedback.documents);
  const weightSum = top.reduce((s, d) => s + Math.max(d.score, 0), 0) || 1;
  const relevance = new Map<string, number>();
  for (const doc of top) {
    const { counts, total } = countsOf(texts.get(doc.chunks[0]?.chunkId ?? ""));
    if (total === 0) continue;
    for (const [t, n] of counts) relevance.set(t, (relevance.get(t) ?? 0) + (Math.max(doc.score, 0) / weightSum) * (n / total));
  }
  const inQuery = new Set(queryTermList);
  return [...relevance.entries()]
    .filter(([t]) => !inQuery.has(t) && t.length > 1 && !/^\p{N}+$/u.test(t))
    .map(([t, p]) => ({ t, score: p * Math.log(p / ((background.get(t) ?? 0) / backgroundTotal)) }))
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || (a.t < b.t ? -1 : 1))
    .slice(0, feedback.terms)
    .map((x) => x.t);
}

/** The best chunk of each document in order, then, while under `k`, the documents' other chunks. */
function emit(docs: readonly RankedDocument[], k: number): ScoredChunk[] {
  const out: ScoredChunk[] = [];
  if (k <= 0) return out;
  for (const doc of docs) {
    const best = doc.chunks[0];
    if (best) out.push({ chunkId: best.chunkId, documentId: doc.documentId, score: round(doc.score) });
    if (out.length >= k) return out;
  }
  for (const doc of docs) {
    for (const chunk of doc.chunks.slice(1)) {
      out.push({ chunkId: chunk.chunkId, documentId: doc.documentId, score: round(doc.score) });
      if (out.length >= k) return out;
    }
  }
  return out;
}

function round(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}
