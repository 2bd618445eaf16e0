import type { PhrasingMatch, ScoredChunk } from "./backend";
import type { RankedDocument } from "./fusion";

/**
 * How learned phrasings count in a ranking, as pure functions. A phrasing is a visitor's wording
 * of a question its document answers, so it is scored as that document would score if the
 * phrasing were its title: no constant of its own, only the keyword index's statistics and the
 * strategy's title weight. A document then scores as its best piece of evidence, chunk or
 * phrasing, the way it already scores as its best chunk.
 */

/** FTS5's bm25() k1 (fts5_aux.c), so a phrasing's score is on the chunks' scale. */
const FTS5_K1 = 1.2;
/** FTS5's bm25() b (fts5_aux.c). */
const FTS5_B = 0.75;
/** The IDF FTS5 gives a term found in at least half the rows, instead of a negative one. */
const FTS5_IDF_FLOOR = 1e-6;

/** A document's evidence from its phrasings. */
export interface PhrasingEvidence {
  documentId: string;
  score: number;
}

/** FTS5's IDF of a term found in `matching` of `rows` rows: ln((N − n + 0.5) / (n + 0.5)), floored. */
export function fts5Idf(rows: number, matching: number): number {
  const idf = Math.log((rows - matching + 0.5) / (matching + 0.5));
  return idf > 0 ? idf : FTS5_IDF_FLOOR;
}

/**
 * The -bm25() FTS5 would give, in the chunks' keyword index, a row holding only `phrasing` in
 * its title column: Σ idf(t) · w(k1 + 1) / (w + k1(1 − b + b·D/avgdl)), with w = the title
 * weight × the term's count in the phrasing, D its length and avgdl the chunks' average length
 * (when unknown, D/avgdl = 1). `idf` is per term, in the order of `match.frequencies`.
 */
export function phrasingKeywordScore(match: PhrasingMatch, idf: readonly number[], titleWeight: number, averageLength: number | null): number {
  const relativeLength = averageLength && averageLength > 0 ? match.length / averageLength : 1;
  const norm = FTS5_K1 * (1 - FTS5_B + FTS5_B * relativeLength);
  let score = 0;
  match.frequencies.forEach((frequency, i) => {
    const w = titleWeight * frequency;
    if (w > 0) score += (idf[i] ?? 0) * ((w * (FTS5_K1 + 1)) / (w + norm));
  });
  return score;
}

/** The best score per document, best first (ties in input order). */
export function bestPerDocument(scored: readonly PhrasingEvidence[]): PhrasingEvidence[] {
  const best = new Map<string, PhrasingEvidence>();
  for (const s of scored) {
    const known = best.get(s.documentId);
    if (!known || s.score > known.score) best.set(s.documentId, { documentId: s.documentId, score: s.score });
  }
  return stableByScore([...best.values()]);
}

/**
 * A leg's documents with phrasing evidence added: a document's score becomes the higher of its
 * own and its best phrasing's; a document found only through phrasings joins with its
 * `representative` chunk (one that has none in the index is left out: there is nothing to cite).
 * Best first; ties keep the leg's order, newcomers after.
 */
export function withPhrasingEvidence(
  docs: readonly RankedDocument[],
  evidence: readonly PhrasingEvidence[],
  representative: readonly ScoredChunk[],
): RankedDocument[] {
  if (evidence.length === 0) return [...docs];
  const scoreOf = new Map(evidence.map((e) => [e.documentId, e.score]));
  const merged: RankedDocument[] = docs.map((d) => ({ ...d, score: Math.max(d.score, scoreOf.get(d.documentId) ?? -Infinity) }));
  const present = new Set(docs.map((d) => d.documentId));
  const chunkOf = new Map(representative.map((c) => [c.documentId, c]));
  for (const e of evidence) {
    const chunk = chunkOf.get(e.documentId);
    if (present.has(e.documentId) || !chunk) continue;
    merged.push({ documentId: e.documentId, score: e.score, chunks: [chunk] });
  }
  return stableByScore(merged);
}

/** Documents evidence names that the leg did not find. */
export function documentsMissing(docs: readonly RankedDocument[], evidence: readonly PhrasingEvidence[]): string[] {
  const present = new Set(docs.map((d) => d.documentId));
  return evidence.map((e) => e.documentId).filter((id) => !present.has(id));
}

function stableByScore<T extends { score: number }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => b.item.score - a.item.score || a.i - b.i)
    .map(({ item }) => item);
}
