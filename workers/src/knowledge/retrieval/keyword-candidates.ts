/**
 * The keyword leg's candidate pass: the best chunks for a question's terms from the index's FTS5
 * table, read rare terms first (MaxScore) and, in an index larger than the row budget, bounded
 * (see `keywordCandidates`). `retrieve` (pipeline.ts) turns them into documents.
 */
import { byScoreThenChunkId, KEYWORD_COLUMNS, type RetrievalBackend, type ScoredChunk } from "./backend";
import { fts5Idf } from "./phrasing-evidence";
import { matchExpression } from "./tokens";

/** What the candidate pass reads of the strategy's settings (`RetrievalOptions` in pipeline.ts). */
export interface CandidateOptions {
  /** Chunks asked for. */
  candidates: number;
  /** BM25 weight per `KEYWORD_COLUMNS` column. */
  keywordWeights: readonly number[];
  /** Rows one pass may score in an index of more chunks than that. */
  keywordRowBudget: number;
}

/**
 * The keyword leg's chunks for `terms` (whose full expression is `match`): the same chunks, in
 * the same order and with the same scores as `backend.keyword(match)`, without scoring every
 * chunk that holds a common word.
 *
 * 1. Terms that cannot change a score are left out. FTS5's bm25() gives a term the IDF
 *    ln((N − n + 0.5) / (n + 0.5)), clamped to 1e-6 when that is ≤ 0, i.e. when the term is in at
 *    least half of the N chunks (2n ≥ N): such a term adds at most ~1e-5 to any score, yet every
 *    chunk it is in must be read and scored. A chunk that matched only them would score ~1e-5,
 *    below every chunk that matches a kept term; only when the kept terms fill fewer than
 *    `candidates` slots could such a chunk have been among them, and then the full expression
 *    runs instead. When every term is that common, only the rarest one is kept.
 * 2. The kept terms are split by rarity (MaxScore, Turtle & Flood 1995): the rare ones are
 *    "essential", the others are only scored. A term's part of a BM25 score is below
 *    IDF × (k1 + 1) however often it occurs, so a chunk that holds none of the essential terms
 *    scores below the sum of that bound over the other terms. The best chunks holding an
 *    essential term are scored in full (`essential AND others` gives their whole score, the
 *    essential query alone the score of those without the others); when the last of the
 *    `candidates` best still scores above the bound, no other chunk can enter and they are the
 *    answer. Otherwise the next rarest term becomes essential and it is tried again. Exact: the
 *    split only decides how much is read.
 *
 * In an index of more chunks than `keywordRowBudget` (the rows one pass may score), the work is
 * bounded instead of the ranking exact; a smaller index is always ranked exactly:
 * - a question whose every word is in at least half of the chunks has no keyword evidence at
 *   all (each word's IDF is FTS5's floor, so every score is ~1e-6): the leg finds nothing,
 *   rather than ranking that many chunks by noise;
 * - when even the rarest word is in more chunks than the budget, only the chunks with a word of
 *   the question in their title or heading are ranked (the columns weighted most, so the best
 *   chunks are mostly among them), scored on those columns; if they are fewer than the
 *   candidates, the full expression runs after all;
 * - no further split is tried, and the full expression not run, once its rows would exceed
 *   what is left of the budget: the chunks found through the rarer words are the answer, each
 *   still with its whole score, and a chunk holding only the commoner words is not considered.
 */
export async function keywordCandidates(backend: RetrievalBackend, terms: readonly string[], match: string, options: CandidateOptions): Promise<ScoredChunk[]> {
  const limit = options.candidates;
  const counts = await backend.termCounts(terms);
  const all = terms.map((term, i) => ({ term, chunks: counts.matching[i] ?? 0 }));
  const kept = informativeTerms(all, counts.chunks);
  // A smaller index is read in full however it is split: no bound, so no approximation.
  const budget = counts.chunks > options.keywordRowBudget ? options.keywordRowBudget : Infinity;
  // Only when no term is informative is the one kept term at the floor (see `informativeTerms`).
  const floor = kept.length === 1 && kept[0] && 2 * kept[0].chunks >= counts.chunks ? kept[0] : null;
  if (floor && floor.chunks > budget) return [];
  if (Math.min(...kept.map((t) => t.chunks)) > budget) {
    const headline = await backend.keyword(`{${HEADLINE_COLUMNS}} : (${matchExpression(kept.map((t) => t.term))})`, options.keywordWeights, limit);
    if (headline.length >= limit) return headline;
  }
  if (terms.length < 2) return backend.keyword(match, options.keywordWeights, limit);
  const pruned = await essentialFirst(backend, kept, counts.chunks, options, budget);
  if (kept.length === terms.length || pruned.length >= limit) return pruned;
  if (pruned.length > 0 && rowsOf(all, counts.chunks) > budget) return pruned;
  return backend.keyword(match, options.keywordWeights, limit);
}

/** The columns a search past the budget first looks in: title and heading, as FTS5 names them. */
const HEADLINE_COLUMNS = KEYWORD_COLUMNS.filter((column) => column !== "content").join(" ");

/** BM25's k1 in FTS5's bm25(): a term's part of a score stays below IDF × (k1 + 1). */
const FTS5_BM25_K1 = 1.2;
/** Share of the index the essential terms' chunks may add up to before the split is first tried: how much is read first, not what is found. */
const ESSENTIAL_SHARE = 0.1;

/**
 * The best `candidates` chunks for the OR of `kept` (terms with their chunk counts), scored in
 * full; see `keywordCandidates`. A split costs about twice its essential terms' rows (the
 * essential query alone, then with the others); one past what is left of `budget` is not tried.
 */
async function essentialFirst(backend: RetrievalBackend, kept: readonly TermCount[], chunks: number, options: CandidateOptions, budget: number): Promise<ScoredChunk[]> {
  const limit = options.candidates;
  const weights = options.keywordWeights;
  const byRarity = [...kept].sort((a, b) => a.chunks - b.chunks);
  const all = matchExpression(byRarity.map((t) => t.term)) ?? "";
  let left = budget;
  let found: ScoredChunk[] = [];
  let essential = 1;
  for (let total = byRarity[0]?.chunks ?? 0; essential < byRarity.length; essential++) {
    total += byRarity[essential]?.chunks ?? 0;
    if (total > ESSENTIAL_SHARE * chunks) break;
  }
  for (; essential < byRarity.length; essential++) {
    const cost = 2 * rowsOf(byRarity.slice(0, essential), chunks);
    if (found.length > 0 && cost > left) return found;
    left -= cost;
    const rare = matchExpression(byRarity.slice(0, essential).map((t) => t.term)) ?? "";
    const others = byRarity.slice(essential);
    const bound = others.reduce((sum, t) => sum + fts5Idf(chunks, t.chunks) * (FTS5_BM25_K1 + 1), 0);
    const [alone, whole] = await Promise.all([
      backend.keyword(rare, weights, limit),
      backend.keyword(`(${rare}) AND (${matchExpression(others.map((t) => t.term))})`, weights, limit),
    ]);
    const best = new Map(alone.map((c) => [c.chunkId, c]));
    for (const c of whole) best.set(c.chunkId, c); // the whole score where the chunk has both
    found = [...best.values()].sort(byScoreThenChunkId).slice(0, limit);
    const last = found[limit - 1];
    // A margin for rounding: FTS5 sums in doubles in another order.
    if (last && last.score > bound * (1 + 1e-9) + 1e-9) return found;
  }
  if (found.length > 0 && rowsOf(byRarity, chunks) > left) return found;
  return backend.keyword(all, weights, limit);
}

/** Rows a query for the OR of `terms` scores: at most the sum of their chunk counts, and at most the index's `chunks`. */
function rowsOf(terms: readonly TermCount[], chunks: number): number {
  return Math.min(chunks, terms.reduce((sum, t) => sum + t.chunks, 0));
}

/** A query term and the number of chunks it is in. */
interface TermCount {
  term: string;
  chunks: number;
}

/** The terms whose bm25() IDF is above FTS5's floor (2n < N, N the index's `chunks`); the rarest one when none is. */
function informativeTerms(all: readonly TermCount[], chunks: number): TermCount[] {
  const kept = all.filter((t) => 2 * t.chunks < chunks);
  if (kept.length > 0) return kept;
  const rarest = all.reduce((a, b) => (b.chunks < a.chunks ? b : a));
  return [rarest];
}
