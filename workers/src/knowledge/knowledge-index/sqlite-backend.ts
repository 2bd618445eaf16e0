import { chunked } from "../../lib/chunked";
import { KEYWORD_COLUMNS, type IndexedChunk, type RetrievalBackend, type ScoredChunk } from "../retrieval/backend";
import { TermCounts } from "./term-counts";

/** Nearest chunks to a unit query vector, best first: the index's vector leg (local or Vectorize). */
export type VectorLeg = (queryVector: readonly number[], limit: number) => Promise<ScoredChunk[]>;

/** Ids per `IN (…)` list: well under SQLite's 100 bound parameters per statement in Durable Objects. */
const IDS_PER_QUERY = 90;

/**
 * `RetrievalBackend` over a knowledge index's own SQLite (chunks and their FTS5 index) and its
 * vector leg. Everything it sees is one assistant's, so BM25 statistics are that assistant's alone.
 */
export class SqliteRetrievalBackend implements RetrievalBackend {
  constructor(
    private readonly sql: SqlStorage,
    private readonly vectorLeg: VectorLeg,
    /** The object's counts, kept across searches; a fresh (uncached) one by default. */
    private readonly counts: TermCounts = new TermCounts(),
  ) {}

  async keyword(match: string, weights: readonly number[], limit: number): Promise<ScoredChunk[]> {
    if (weights.length !== KEYWORD_COLUMNS.length) throw new RangeError(`keyword() takes ${KEYWORD_COLUMNS.length} column weights`);
    if (limit < 1) return [];
    const [title, heading, content] = weights;
    return this.sql
      .exec<{ id: string; document_id: string; rank: number }>(
        `SELECT c.id, c.document_id, bm25(chunks_fts, ?, ?, ?) AS rank
           FROM chunks_fts JOIN chunks c ON c.seq = chunks_fts.rowid
          WHERE chunks_fts MATCH ?
          ORDER BY rank
          LIMIT ?`,
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
}
