/**
 * What a retrieval strategy needs from an assistant's knowledge index, and nothing more: the
 * index (a Durable Object per assistant in the Worker, an in-memory SQLite in the evaluation
 * tools) implements it, the strategy (`retrieve` in pipeline.ts) only ranks. Keeping the seam
 * this narrow lets one ranking run, unchanged, against every store.
 */

/** Which retrieval runs: both legs fused (the default), or one alone for comparison. */
export type SearchMode = "hybrid" | "keyword" | "vector";

/** One ranked chunk; `score` is higher-is-better and comparable only within one list. */
export interface ScoredChunk {
  chunkId: string;
  documentId: string;
  score: number;
}

/** Best first; equal scores in chunk id order, so a ranking never depends on the order rows came in. */
export function byScoreThenChunkId(a: ScoredChunk, b: ScoredChunk): number {
  return b.score - a.score || (a.chunkId < b.chunkId ? -1 : a.chunkId > b.chunkId ? 1 : 0);
}

/** A chunk's indexed text, as the keyword index holds it. */
export interface IndexedChunk {
  chunkId: string;
  documentId: string;
  title: string;
  heading: string;
  content: string;
}

/** Columns of the keyword index, in order; `keyword()` takes one BM25 weight per column. */
export const KEYWORD_COLUMNS = ["title", "heading", "content"] as const;

/** An assistant's index as a retrieval strategy sees it. */
export interface RetrievalBackend {
  /**
   * FTS5 `MATCH` over this assistant's chunks only (BM25 statistics are the assistant's own),
   * best first; `weights` has one entry per KEYWORD_COLUMNS column; score = -bm25().
   */
  keyword(match: string, weights: readonly number[], limit: number): Promise<ScoredChunk[]>;
  /** Nearest chunks to an embedded query (cosine, higher is better), best first. */
  vector(queryVector: readonly number[], limit: number): Promise<ScoredChunk[]>;
  /** The indexed text of some chunks (e.g. for pseudo-relevance feedback); unknown ids are skipped. */
  texts(chunkIds: readonly string[]): Promise<IndexedChunk[]>;
  /** Size of the index, for strategies that adapt to it. */
  stats(): Promise<{ chunks: number; documents: number }>;
  /**
   * How many chunks the keyword index holds (`chunks`) and how many of them match each of
   * `terms` (`matching`, in the order given; a term as `keyword()` would match it, stemmed the
   * same way): the N and n of BM25's IDF.
   */
  termCounts(terms: readonly string[]): Promise<{ chunks: number; matching: number[] }>;
  /** The index's learned phrasings; absent for an index that keeps none. */
  phrasings?: PhrasingSource;
}

/** A learned phrasing that shares words with a question. */
export interface PhrasingMatch {
  phrasingId: string;
  documentId: string;
  /** Tokens in the phrasing, counted as the keyword index counts them. */
  length: number;
  /** How often each term asked for occurs in the phrasing (stemmed as `keyword()` matches), in the order given. */
  frequencies: number[];
}

/** A learned phrasing near a query vector; `score` is the cosine, as the chunks' vector scores. */
export interface ScoredPhrasing {
  phrasingId: string;
  documentId: string;
  score: number;
}

/**
 * Learned phrasings (a visitor's wording of a question a document answers) as retrieval sees
 * them: evidence for their document, never results of their own.
 */
export interface PhrasingSource {
  /** How many phrasings the index holds; with none, retrieval asks nothing else and ranks as without them. */
  count(): Promise<number>;
  /** Phrasings containing any of `terms`, at most `limit` per term. */
  matching(terms: readonly string[], limit: number): Promise<PhrasingMatch[]>;
  /** Phrasings nearest to an embedded query, best first. */
  nearest(queryVector: readonly number[], limit: number): Promise<ScoredPhrasing[]>;
  /**
   * Average tokens per chunk of the keyword index (all columns), as FTS5's bm25() computes it;
   * null when it cannot be read.
   */
  averageChunkLength(): Promise<number | null>;
  /**
   * For each document: its chunk that best matches `match` (FTS5 expression; null for none), or,
   * when none matches, its first chunk. Scores are -bm25() with `weights`, 0 for a first chunk.
   */
  representativeChunks(documentIds: readonly string[], match: string | null, weights: readonly number[]): Promise<ScoredChunk[]>;
}

/** What a strategy is asked for. */
export interface RetrieveRequest {
  query: string;
  mode: SearchMode;
  k: number;
  /** The query's embedding, or null when vectors are off or the embedder failed. */
  queryVector: readonly number[] | null;
}
