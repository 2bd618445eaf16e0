/**
 * The vector leg of a knowledge index's search: with the `local` store, int4 candidates from the
 * in-memory matrix re-scored exactly from the int8 rows; with Vectorize, its nearest chunks of
 * the assistant, kept only when the chunk is still in this index.
 */
import { toUnitVector } from "../embeddings/vector-math";
import { byScoreThenChunkId, type ScoredChunk } from "../retrieval/backend";
import { chunked } from "../../lib/chunked";
import type { VectorMatch } from "../vector-store/vector-store";
import { IDS_PER_QUERY } from "./chunk-rows";
import { CodeMatrix } from "./code-matrix";
import type { IndexScope } from "./index-types";
import { meta } from "./index-meta";
import { int8Cosine } from "./quantize";

/**
 * Candidates of the int4 pass re-scored exactly (int8 cosine read from SQLite), per result asked
 * for. Measured on 20,000 hash-embedder vectors: the re-scored top 10 shares 96.2 % with the exact
 * float top 10 at 4×, 96.7 % at 8× and 96.9 % at 16×; the rest are near-ties that int8 itself
 * orders differently, so more candidates only cost SQLite reads.
 */
const RESCORE_FACTOR = 4;
/** Fewest candidates re-scored, for small `limit`s. */
const MIN_RESCORE = 40;

/** The in-memory matrix of the index's vectors, built from SQLite; null for an index without vectors. */
export function matrixFromRows(sql: SqlStorage): CodeMatrix | null {
  const dimensions = meta(sql, "dimensions");
  if (dimensions === null) return null;
  const matrix = new CodeMatrix(Number(dimensions));
  for (const row of sql.exec<{ chunk_seq: number; codes: ArrayBuffer }>("SELECT chunk_seq, codes FROM chunk_vectors")) {
    matrix.set(row.chunk_seq, new Int8Array(row.codes));
  }
  return matrix;
}

/** The `limit` chunks nearest to `queryVector`: int4 candidates of `matrix` re-scored from the int8 rows. */
export function localVectorLeg(sql: SqlStorage, matrix: CodeMatrix | null, queryVector: readonly number[], limit: number): ScoredChunk[] {
  if (!matrix || matrix.size === 0) return [];
  if (queryVector.length !== matrix.dimensions) {
    throw new RangeError(`vector dimension ${queryVector.length} does not match the index's ${matrix.dimensions}`);
  }
  const query = toUnitVector(queryVector);
  const candidates = matrix.candidates(query, Math.max(limit * RESCORE_FACTOR, MIN_RESCORE));
  // Re-scored from the vectors alone; only the best `limit` are then looked up in `chunks`. One
  // statement each: the ids go in as one JSON parameter, so the statement's text stays the same.
  const rescored: { seq: number; score: number }[] = [];
  const rows = sql.exec<{ chunk_seq: number; codes: ArrayBuffer }>(
    "SELECT chunk_seq, codes FROM chunk_vectors WHERE chunk_seq IN (SELECT value FROM json_each(?))",
    JSON.stringify(candidates.map((c) => c.seq)),
  );
  for (const r of rows) rescored.push({ seq: r.chunk_seq, score: int8Cosine(query, new Int8Array(r.codes)) });
  const scoreOf = new Map(rescored.map((r) => [r.seq, r.score]));
  const best = rescored.sort((a, b) => b.score - a.score || a.seq - b.seq).slice(0, limit);
  const chunks = sql.exec<{ seq: number; id: string; document_id: string }>(
    "SELECT seq, id, document_id FROM chunks WHERE seq IN (SELECT value FROM json_each(?))",
    JSON.stringify(best.map((b) => b.seq)),
  );
  return chunks
    .toArray()
    .map((r) => ({ chunkId: r.id, documentId: r.document_id, score: scoreOf.get(r.seq) ?? 0 }))
    .sort(byScoreThenChunkId);
}

/**
 * Vectorize's nearest matches of this assistant (one query answers chunks and learned phrasings
 * alike), kept only when they are chunks of this index.
 */
export function vectorizeLeg(sql: SqlStorage, nearest: readonly VectorMatch[], scope: IndexScope): ScoredChunk[] {
  const matches = nearest.filter((m) => m.metadata.workspace_id === scope.workspaceId);
  if (matches.length === 0) return [];
  const live = new Map<string, string>();
  for (const part of chunked(matches.map((m) => m.id), IDS_PER_QUERY)) {
    const rows = sql.exec<{ id: string; document_id: string }>(
      `SELECT id, document_id FROM chunks WHERE id IN (${part.map(() => "?").join(", ")})`,
      ...part,
    );
    for (const r of rows) live.set(r.id, r.document_id);
  }
  return matches.flatMap((m) => {
    const documentId = live.get(m.id);
    return documentId ? [{ chunkId: m.id, documentId, score: m.score }] : [];
  });
}
