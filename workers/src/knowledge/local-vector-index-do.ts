import { DurableObject } from "cloudflare:workers";
import { VectorMatrix } from "./vector-store/vector-matrix";
import type { VectorMatch, VectorMetadata } from "./vector-store/vector-store";

/** A unit vector with its id and metadata, as the local store sends it. */
export interface StoredVector {
  id: string;
  values: Float32Array;
  metadata: VectorMetadata;
}

/** A cached embedding: the SHA-256 content key and the vector. */
export interface CachedEmbedding {
  key: string;
  vector: Float32Array;
}

/**
 * Memory the in-memory matrix may take: half of an isolate's 128 MB, which leaves room for the
 * request that is loading it. 16,384 vectors at 1024 dimensions, 10,922 at 1536.
 */
export const MAX_MATRIX_BYTES = 64 * 1024 * 1024;
/**
 * Cached embeddings kept per assistant, least recently used dropped first: twice what the matrix
 * holds at 1536 dimensions, so re-ingesting the whole knowledge base hits the cache. ~120 MB of
 * SQLite at that size, far under a Durable Object's 10 GB.
 */
export const MAX_CACHED_EMBEDDINGS = 20_000;

const SCHEMA_VERSION = 1; // bump with a new entry in MIGRATIONS
const MIGRATIONS: readonly (readonly string[])[] = [
  // v1: vectors as float32 BLOBs (4 bytes per dimension), and the embedding cache beside them.
  [
    `CREATE TABLE IF NOT EXISTS vectors (
       id TEXT PRIMARY KEY,
       document_id TEXT NOT NULL,
       chunk_id TEXT NOT NULL,
       workspace_id TEXT NOT NULL,
       vector BLOB NOT NULL
     )`,
    `CREATE TABLE IF NOT EXISTS embedding_cache (
       key TEXT PRIMARY KEY,
       vector BLOB NOT NULL,
       used_at INTEGER NOT NULL
     )`,
    "CREATE INDEX IF NOT EXISTS embedding_cache_used_at ON embedding_cache (used_at)",
  ],
];

type VectorRow = { id: string; document_id: string; chunk_id: string; workspace_id: string; vector: ArrayBuffer };

/** The bytes of a float32 vector, as SQLite stores them. */
function toBlob(vector: Float32Array): ArrayBuffer {
  return vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength) as ArrayBuffer;
}

/**
 * One assistant's vectors in SQLite: the `local` vector store, for when Vectorize is absent.
 * Named by the assistant id (the store's namespace). SQLite is the truth; searches run on an
 * in-memory matrix copy that is built on the first search after the object wakes up and then
 * kept in step with every write. The index's dimension is fixed by its first vector and freed
 * again when the last one is deleted. Also keeps the assistant's embedding cache.
 */
export class LocalVectorIndexDO extends DurableObject<Env> {
  private schemaReady = false;
  // Cache of the SQLite rows; null until the first search, and after eviction or `deleteAll`.
  private matrix: VectorMatrix | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.migrate();
  }

  /** Liveness probe used by `/readyz` and tests. */
  async ping(): Promise<"pong"> {
    return "pong";
  }

  /** Vectors stored. */
  async count(): Promise<number> {
    return this.storedCount();
  }

  /** Inserts or replaces vectors, all of the index's dimension (unit length, checked by the caller). */
  async upsert(vectors: StoredVector[]): Promise<void> {
    const first = vectors[0];
    if (!first) return;
    this.migrate();
    const dimensions = first.values.length;
    const capacity = Math.floor(MAX_MATRIX_BYTES / (dimensions * Float32Array.BYTES_PER_ELEMENT));
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      const current = this.storedDimensions();
      if (current !== null && current !== dimensions && this.storedCount() > 0) {
        throw new RangeError(`vector dimension ${dimensions} does not match the index's ${current}`);
      }
      sql.exec("INSERT INTO meta (key, value) VALUES ('dimensions', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", dimensions);
      for (const v of vectors) {
        if (v.values.length !== dimensions) throw new RangeError("vectors of one upsert must all have the same length");
        sql.exec(
          `INSERT INTO vectors (id, document_id, chunk_id, workspace_id, vector) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET document_id = excluded.document_id, chunk_id = excluded.chunk_id,
             workspace_id = excluded.workspace_id, vector = excluded.vector`,
          v.id,
          v.metadata.document_id,
          v.metadata.chunk_id,
          v.metadata.workspace_id,
          toBlob(v.values),
        );
      }
      // Checked after the writes so replaced ids do not count twice; throwing rolls them back.
      const total = this.storedCount();
      if (total > capacity) {
        throw new RangeError(
          `the local vector index holds at most ${capacity} vectors of ${dimensions} dimensions (${total} asked); use Vectorize for larger knowledge bases`,
        );
      }
    });
    if (this.matrix && this.matrix.dimensions === dimensions) {
      for (const v of vectors) this.matrix.set(v.id, v.values, v.metadata);
    } else {
      this.matrix = null;
    }
  }

  /** The `topK` stored vectors nearest to `vector` (unit length), best first. */
  async query(vector: Float32Array, topK: number): Promise<VectorMatch[]> {
    const matrix = this.loadMatrix();
    if (!matrix || matrix.size === 0 || topK < 1) return [];
    if (vector.length !== matrix.dimensions) {
      throw new RangeError(`vector dimension ${vector.length} does not match the index's ${matrix.dimensions}`);
    }
    return matrix.search(vector, topK);
  }

  /** The stored vectors of these ids (unknown ones are skipped), for moving them into the knowledge index. */
  async getVectors(ids: string[]): Promise<{ id: string; values: Float32Array }[]> {
    this.migrate();
    const sql = this.ctx.storage.sql;
    return ids.flatMap((id) => {
      const row = sql.exec<{ vector: ArrayBuffer }>("SELECT vector FROM vectors WHERE id = ?", id).toArray()[0];
      return row ? [{ id, values: new Float32Array(row.vector) }] : [];
    });
  }

  /** Deletes these ids (unknown ones are ignored); returns how many were there. */
  async deleteByIds(ids: string[]): Promise<number> {
    this.migrate();
    const sql = this.ctx.storage.sql;
    let deleted = 0;
    this.ctx.storage.transactionSync(() => {
      for (const id of ids) deleted += sql.exec("DELETE FROM vectors WHERE id = ?", id).rowsWritten;
      if (this.storedCount() === 0) sql.exec("DELETE FROM meta WHERE key = 'dimensions'");
    });
    if (this.matrix) for (const id of ids) this.matrix.delete(id);
    return deleted;
  }

  /** Deletes everything: vectors, cached embeddings, the object's storage itself. */
  async deleteAll(): Promise<void> {
    await this.ctx.storage.deleteAll();
    this.matrix = null;
    this.schemaReady = false;
  }

  /** Cached embeddings for `keys`, in order; null where there is none. Marks the hits as used. */
  async getCachedEmbeddings(keys: string[]): Promise<(Float32Array | null)[]> {
    this.migrate();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    return keys.map((key) => {
      const row = sql.exec<{ vector: ArrayBuffer }>("SELECT vector FROM embedding_cache WHERE key = ?", key).toArray()[0];
      if (!row) return null;
      sql.exec("UPDATE embedding_cache SET used_at = ? WHERE key = ?", now, key);
      return new Float32Array(row.vector);
    });
  }

  /** Stores embeddings by content key, dropping the least recently used past the cap. */
  async putCachedEmbeddings(entries: CachedEmbedding[]): Promise<void> {
    if (entries.length === 0) return;
    this.migrate();
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const { key, vector } of entries) {
        sql.exec(
          `INSERT INTO embedding_cache (key, vector, used_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET vector = excluded.vector, used_at = excluded.used_at`,
          key,
          toBlob(vector),
          now,
        );
      }
      const size = sql.exec<{ n: number }>("SELECT count(*) AS n FROM embedding_cache").one().n;
      if (size > MAX_CACHED_EMBEDDINGS) {
        sql.exec(
          "DELETE FROM embedding_cache WHERE key IN (SELECT key FROM embedding_cache ORDER BY used_at LIMIT ?)",
          size - MAX_CACHED_EMBEDDINGS,
        );
      }
    });
  }

  private migrate(): void {
    if (this.schemaReady) return;
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)");
    const row = sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0];
    for (let v = row?.value ?? 0; v < SCHEMA_VERSION; v++) {
      for (const statement of MIGRATIONS[v] ?? []) sql.exec(statement);
    }
    sql.exec(
      "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      SCHEMA_VERSION,
    );
    this.schemaReady = true;
  }

  private storedCount(): number {
    this.migrate();
    return this.ctx.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM vectors").one().n;
  }

  private storedDimensions(): number | null {
    const row = this.ctx.storage.sql.exec<{ value: number }>("SELECT value FROM meta WHERE key = 'dimensions'").toArray()[0];
    return row?.value ?? null;
  }

  /** The in-memory matrix, built from SQLite when absent; null for an empty index. */
  private loadMatrix(): VectorMatrix | null {
    if (this.matrix) return this.matrix;
    this.migrate();
    const dimensions = this.storedDimensions();
    if (dimensions === null) return null;
    const matrix = new VectorMatrix(dimensions);
    const rows = this.ctx.storage.sql.exec<VectorRow>("SELECT id, document_id, chunk_id, workspace_id, vector FROM vectors");
    for (const row of rows) {
      matrix.set(row.id, new Float32Array(row.vector), {
        document_id: row.document_id,
        chunk_id: row.chunk_id,
        workspace_id: row.workspace_id,
      });
    }
    this.matrix = matrix;
    return matrix;
  }
}
