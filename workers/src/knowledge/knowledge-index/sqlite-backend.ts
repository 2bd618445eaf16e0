import { chunked } from "../../lib/chunked";
import {
  KEYWORD_COLUMNS,
  type IndexedChunk,
  type PhrasingSource,
  type RetrievalBackend,
  type ScoredChunk,
  type ScoredPhrasing,
} from "../retrieval/backend";
import type { PhrasingStore } from "./phrasing-store";
import { TermCounts } from "./term-counts";

/** Nearest chunks to a unit query vector, best first: the index's vector leg (local or Vectorize). */
export type VectorLeg = (queryVector: readonly number[], limit: number) => Promise<ScoredChunk[]>;

/** Nearest learned phrasings to a query vector, best first (local or Vectorize). */
export type PhrasingVectorLeg = (queryVector: readonly number[], limit: number) => Promise<ScoredPhrasing[]>;

/** An index's learned phrasings and their vector leg, for `SqliteRetrievalBackend`. */
export interface SqlitePhrasings {
  store: PhrasingStore;
  nearest: PhrasingVectorLeg;
}

/** Ids per `IN (…)` list: well under SQLite's 100 bound parameters per statement in Durable Objects. */
const IDS_PER_QUERY = 90;

/**
 * `RetrievalBackend` over a knowledge index's own SQLite (chunks and their FTS5 index) and its
 * vector leg. Everything it sees is one assistant's, so BM25 statistics are that assistant's alone.
 */
export class SqliteRetrievalBackend implements RetrievalBackend {
  readonly phrasings?: PhrasingSource;

  constructor(
    private readonly sql: SqlStorage,
    private readonly vectorLeg: VectorLeg,
    /** The object's counts, kept across searches; a fresh (uncached) one by default. */
    private readonly counts: TermCounts = new TermCounts(),
    /** The index's learned phrasings; none by default. */
    phrasings?: SqlitePhrasings,
  ) {
    if (phrasings) this.phrasings = this.phrasingSource(phrasings);
  }

  async keyword(match: string, weights: readonly number[], limit: number): Promise<ScoredChunk[]> {
    if (weights.length !== KEYWORD_COLUMNS.length) throw new RangeError(`keyword() takes ${KEYWORD_COLUMNS.length} column weights`);
    if (limit < 1) return [];
    const [title, heading, content] = weights;
    // Ranked inside FTS5 first, joined after: joined before the LIMIT, every matching row (tens
    // of thousands at 100k chunks) would be looked up in `chunks` only to be sorted away.
    return this.sql
      .exec<{ id: string; document_id: string; rank: number }>(
        `SELECT c.id, c.document_id, ranked.rank
           FROM (SELECT rowid, bm25(chunks_fts, ?, ?, ?) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?) AS ranked
           JOIN chunks c ON c.seq = ranked.rowid
          ORDER BY ranked.rank, c.id`,
        title ?? 1,
        heading ?? 1,
        content ?? 1,
        match,
        Math.floor(limit),
      )
      .toArray()
      .map((r) => ({ chunkId: r.id, documentId: r.document_id, score: -r.rank }));
  }

  async vector(queryVector: readonly number[], limit: number): Promise<ScoredChunk[]> {
    if (limit < 1 || queryVector.every((v) => v === 0)) return [];
    return this.vectorLeg(queryVector, limit);
  }

  async texts(chunkIds: readonly string[]): Promise<IndexedChunk[]> {
    const byId = new Map<string, IndexedChunk>();
    for (const ids of chunked(chunkIds, IDS_PER_QUERY)) {
      const rows = this.sql.exec<{ id: string; document_id: string; title: string; heading: string | null; content: string }>(
        `SELECT id, document_id, title, heading, content FROM chunks WHERE id IN (${ids.map(() => "?").join(", ")})`,
        ...ids,
      );
      for (const r of rows) byId.set(r.id, { chunkId: r.id, documentId: r.document_id, title: r.title, heading: r.heading ?? "", content: r.content });
    }
    return chunkIds.flatMap((id) => byId.get(id) ?? []);
  }

  async termCounts(terms: readonly string[]): Promise<{ chunks: number; matching: number[] }> {
    return this.counts.read(this.sql, terms);
  }

  async stats(): Promise<{ chunks: number; documents: number }> {
    return this.sql.exec<{ chunks: number; documents: number }>("SELECT count(*) AS chunks, count(DISTINCT document_id) AS documents FROM chunks").one();
  }

  private phrasingSource({ store, nearest }: SqlitePhrasings): PhrasingSource {
    return {
      count: async () => store.size(),
      matching: async (terms, limit) => store.matching(terms, limit),
      nearest: async (queryVector, limit) => (limit < 1 || queryVector.every((v) => v === 0) ? [] : nearest(queryVector, limit)),
      averageChunkLength: async () => this.counts.averageChunkLength(this.sql),
      representativeChunks: async (documentIds, match, weights) => documentIds.flatMap((id) => this.representativeChunk(id, match, weights) ?? []),
    };
  }

  /** The first and last row ids of a document's chunks; null for a document without chunks. */
  private rowSpan(documentId: string): { first: number; last: number } | null {
    const span = this.sql.exec<{ first: number | null; last: number | null }>("SELECT min(seq) AS first, max(seq) AS last FROM chunks WHERE document_id = ?", documentId).one();
    return span.first !== null && span.last !== null ? { first: span.first, last: span.last } : null;
  }

  /** A document's chunk that best matches `match`, else its first chunk; null for a document without chunks. */
  private representativeChunk(documentId: string, match: string | null, weights: readonly number[]): ScoredChunk | null {
    const span = match ? this.rowSpan(documentId) : null;
    if (match && span) {
      const [title, heading, content] = weights;
      // FTS5 reads only the document's row ids (a document's chunks are written together, so
      // their ids are close), rather than scoring every matching chunk of the index.
      const best = this.sql
        .exec<{ id: string; rank: number }>(
          `SELECT c.id, ranked.rank
             FROM (SELECT rowid, bm25(chunks_fts, ?, ?, ?) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid BETWEEN ? AND ?) AS ranked
             JOIN chunks c ON c.seq = ranked.rowid
            WHERE c.document_id = ?
            ORDER BY ranked.rank, c.id
            LIMIT 1`,
          title ?? 1,
          heading ?? 1,
          content ?? 1,
          match,
          span.first,
          span.last,
          documentId,
        )
        .toArray()[0];
      if (best) return { chunkId: best.id, documentId, score: -best.rank };
    }
    const first = this.sql.exec<{ id: string }>("SELECT id FROM chunks WHERE document_id = ? ORDER BY ord, seq LIMIT 1", documentId).toArray()[0];
    return first ? { chunkId: first.id, documentId, score: 0 } : null;
  }
}
