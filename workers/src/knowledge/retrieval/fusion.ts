import type { ScoredChunk } from "./backend";

/**
 * Decisions of the ranking that need no index: chunks to documents, and two legs' scores into
 * one. Pure functions, so they are tested and tuned without a runtime.
 */

/** A document as one leg ranks it: its score and its best chunk there. */
export interface RankedDocument {
  documentId: string;
  score: number;
  /** The document's chunks in this leg, best first. */
  chunks: ScoredChunk[];
}

/**
 * Chunks to documents, best first: a document split into several chunks counts once, scored by
 * its best chunk plus `sumWeight` times the scores of its other matching chunks (max + ε·sum:
 * evidence spread over a long article adds a little, never as much as one chunk that matches).
 * Ties keep the order of the input (the leg's own order).
 */
export function aggregateByDocument(chunks: readonly ScoredChunk[], sumWeight: number): RankedDocument[] {
  const docs = new Map<string, RankedDocument>();
  for (const chunk of chunks) {
    const doc = docs.get(chunk.documentId);
    if (!doc) docs.set(chunk.documentId, { documentId: chunk.documentId, score: chunk.score, chunks: [chunk] });
    else {
      doc.chunks.push(chunk);
      doc.score += sumWeight * chunk.score;
    }
  }
  for (const doc of docs.values()) {
    doc.chunks.sort((a, b) => b.score - a.score);
    // The best chunk counts whole even when the input was not sorted.
    const best = doc.chunks[0]?.score ?? 0;
    const rest = doc.chunks.slice(1).reduce((sum, c) => sum + c.score, 0);
    doc.score = best + sumWeight * rest;
  }
  return stableSort([...docs.values()], (a, b) => b.score - a.score);
}

/**
 * How a leg's scores are put on a common scale before they are combined; `rrf` replaces them by
 * 1 / (60 + rank) (reciprocal rank fusion, kept for comparison: it ignores score gaps).
 */
export type ScoreNormalization = "minmax" | "max" | "zscore" | "rrf";

/** Reciprocal rank fusion's constant, from its paper (Cormack et al., 2009). */
const RRF_K = 60;

/**
 * Each document's score on a 0..1 scale (z-scores: mean 0, unit spread) within its own list.
 * Score gaps survive, which reciprocal-rank fusion throws away: a leg whose first document
 * stands far above the rest says so. A list of one, or of equal scores, maps every document to 1.
 */
export function normalizeScores(docs: readonly RankedDocument[], how: ScoreNormalization): Map<string, number> {
  const out = new Map<string, number>();
  if (docs.length === 0) return out;
  if (how === "rrf") {
    docs.forEach((d, rank) => out.set(d.documentId, 1 / (RRF_K + rank + 1)));
    return out;
  }
  const scores = docs.map((d) => d.score);
  const max = Math.max(...scores);
  const min = Math.min(...scores);
  if (how === "zscore") {
    const mean = scores.reduce((s, x) => s + x, 0) / scores.length;
    const sd = Math.sqrt(scores.reduce((s, x) => s + (x - mean) ** 2, 0) / scores.length);
    for (const d of docs) out.set(d.documentId, sd > 0 ? (d.score - mean) / sd : 1);
    return out;
  }
  for (const d of docs) {
    if (how === "max") out.set(d.documentId, max > 0 ? d.score / max : 1);
    else out.set(d.documentId, max > min ? (d.score - min) / (max - min) : 1);
  }
  return out;
}

/**
 * Convex combination of two normalised legs: `share` × keyword + (1 − share) × vector. A
 * document missing from a leg gets that leg's floor (0, or the lowest z-score): it was not
 * among the leg's candidates. Best first; ties go to the keyword leg's order, then the vector
 * leg's, so equal inputs always give the same order.
 */
export function combineLegs(
  keyword: readonly RankedDocument[],
  vector: readonly RankedDocument[],
  how: ScoreNormalization,
  share: number,
): { documentId: string; score: number }[] {
  const k = normalizeScores(keyword, how);
  const v = normalizeScores(vector, how);
  const floor = (m: Map<string, number>) => (how === "zscore" && m.size > 0 ? Math.min(...m.values()) : 0);
  const kFloor = floor(k);
  const vFloor = floor(v);
  const order = new Map<string, number>();
  for (const d of [...keyword, ...vector]) if (!order.has(d.documentId)) order.set(d.documentId, order.size);
  const fused = [...order.keys()].map((id) => ({
    documentId: id,
    score: share * (k.get(id) ?? kFloor) + (1 - share) * (v.get(id) ?? vFloor),
  }));
  return stableSort(fused, (a, b) => b.score - a.score || (order.get(a.documentId) ?? 0) - (order.get(b.documentId) ?? 0));
}

function stableSort<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => compare(a.item, b.item) || a.i - b.i)
    .map(({ item }) => item);
}
