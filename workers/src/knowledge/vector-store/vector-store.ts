/**
 * Where chunk embeddings are kept and searched: Vectorize in production, a Durable Object per
 * assistant otherwise. One namespace per assistant (the namespace is the assistant id), so a
 * query can only ever see its own assistant's chunks. Scores are cosine similarities (higher is
 * better) and comparable within one query; both stores answer the same contract tests.
 */

/** What a match points back to; enough to load the chunk from D1 and check its workspace. */
export interface VectorMetadata {
  document_id: string;
  chunk_id: string;
  workspace_id: string;
}

/** One vector to store: `id` is the chunk id (at most 64 bytes, Vectorize's limit). */
export interface VectorRecord {
  id: string;
  values: number[] | Float32Array;
  metadata: VectorMetadata;
}

/** One nearest neighbour of a query. */
export interface VectorMatch {
  id: string;
  /** Cosine similarity to the query, in [-1, 1]. */
  score: number;
  metadata: VectorMetadata;
}

/** How many neighbours a query wants: clamped to `MAX_TOP_K`; below 1 returns nothing. */
export interface VectorQueryOptions {
  topK: number;
}

/** A store of embeddings, partitioned by namespace. */
export interface VectorStore {
  /** `local` or `vectorize`, for logs and readiness checks. */
  readonly kind: "local" | "vectorize";
  /** Inserts or replaces (values and metadata in full) the vectors with these ids. */
  upsert(namespace: string, vectors: VectorRecord[]): Promise<void>;
  /** The `topK` vectors of `namespace` nearest to `vector`, best first. */
  query(namespace: string, vector: number[] | Float32Array, options: VectorQueryOptions): Promise<VectorMatch[]>;
  /** Removes these ids; unknown ids are ignored. */
  deleteByIds(namespace: string, ids: string[]): Promise<void>;
  /**
   * Removes the whole namespace at once (an assistant deleted). Absent on Vectorize, which has
   * no such operation: delete the assistant's chunk ids instead.
   */
  deleteNamespace?(namespace: string): Promise<void>;
}

/** `VECTOR_STORE` names a store that cannot be used here (no Vectorize binding, or unknown). */
export class VectorStoreConfigError extends Error {
  override readonly name = "VectorStoreConfigError";
}
