/**
 * Writing a knowledge index's rows: chunks (their FTS5 rows follow by trigger), their int8
 * vectors, and the capacity check that keeps the in-memory int4 matrix within its budget.
 * Called inside the object's transactions; every function is synchronous.
 */
import { int4RowBytes } from "./quantize";
import { meta, setMeta } from "./index-meta";

/**
 * Memory the in-memory int4 matrix may take: 80 MiB of an isolate's 128 MB, which holds 109,226
 * vectors of 1,536 dimensions (100,000 take 73 MiB) and leaves ~45 MB for the request that loads
 * it and the rest of the object.
 */
export const MAX_MATRIX_BYTES = 80 * 1024 * 1024;
/** Ids per `IN (…)` list: under the 100 bound parameters a Durable Object's SQLite allows. */
export const IDS_PER_QUERY = 90;

/** A chunk staged for a document too large for one call, as `staged_chunks` keeps it. */
export type StagedRow = {
  id: string;
  ord: number;
  title: string;
  heading: string | null;
  content: string;
  content_hash: string;
  token_count: number;
  source_url: string | null;
  scale: number | null;
  codes: ArrayBuffer | null;
};

/** Stores a chunk; returns its `seq`, the key of its vector and FTS5 rows. */
export function insertChunk(
  sql: SqlStorage,
  id: string,
  documentId: string,
  ordinal: number,
  title: string,
  heading: string | null,
  content: string,
  contentHash: string,
  tokenCount: number,
  sourceUrl: string | null,
): number {
  return sql
    .exec<{ seq: number }>(
      `INSERT INTO chunks (id, document_id, ord, title, heading, content, content_hash, token_count, source_url)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      id,
      documentId,
      ordinal,
      title,
      heading,
      content,
      contentHash,
      tokenCount,
      sourceUrl,
    )
    .one().seq;
}

/** Stores a chunk's int8 vector; the index's dimension is fixed by its first vector. */
export function insertVector(sql: SqlStorage, seq: number, scale: number, codes: Int8Array): Int8Array {
  const dimensions = meta(sql, "dimensions");
  if (dimensions === null) setMeta(sql, "dimensions", String(codes.length));
  else if (Number(dimensions) !== codes.length) {
    throw new RangeError(`vector dimension ${codes.length} does not match the index's ${dimensions}`);
  }
  sql.exec("INSERT OR REPLACE INTO chunk_vectors (chunk_seq, scale, codes) VALUES (?, ?, ?)", seq, scale, toBlob(codes));
  return codes;
}

/** Deletes a document's chunk rows (the triggers take the FTS5 rows and vectors along). */
export function removeDocumentRows(sql: SqlStorage, documentId: string): { seq: number; id: string }[] {
  const removed = sql.exec<{ seq: number; id: string }>("DELETE FROM chunks WHERE document_id = ? RETURNING seq, id", documentId).toArray();
  if (!sql.exec<{ any: number }>("SELECT EXISTS (SELECT 1 FROM chunk_vectors) AS any").one().any) sql.exec("DELETE FROM meta WHERE key = 'dimensions'");
  return removed;
}

/** Throws (rolling the transaction back) when the vectors would not fit the in-memory matrix. */
export function checkCapacity(sql: SqlStorage): void {
  const dimensions = meta(sql, "dimensions");
  if (dimensions === null) return;
  const capacity = Math.floor(MAX_MATRIX_BYTES / int4RowBytes(Number(dimensions)));
  const total = sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunk_vectors").one().n;
  if (total > capacity) {
    throw new RangeError(
      `the local vector index holds at most ${capacity} vectors of ${dimensions} dimensions (${total} asked); use Vectorize for larger knowledge bases`,
    );
  }
}

/** The bytes of an int8 vector, as SQLite stores them. */
export function toBlob(codes: Int8Array): ArrayBuffer {
  return codes.buffer.slice(codes.byteOffset, codes.byteOffset + codes.byteLength) as ArrayBuffer;
}
