/**
 * Text into vectors for the knowledge base. Chunks are embedded at ingestion and questions at
 * search time, always by the same embedder: vectors from two embedders live in different spaces
 * and must never be compared, which is why `name` goes into cache keys and why a misconfigured
 * provider is an error (`createEmbedder`) rather than a silent switch to another embedder.
 */
export interface Embedder {
  /** Provider, model and variant (`openai:text-embedding-3-small`, `hash:v2-1536`). */
  readonly name: string;
  /** Length of every vector `embed` returns. */
  readonly dimensions: number;
  /**
   * One unit-length vector per text, in order, for any number of texts (adapters split them into
   * provider batches of at most `EMBED_BATCH_SIZE`). A blank text gets the zero vector: it has
   * no meaning to embed, and providers reject empty input.
   *
   * `Float32Array` rather than `number[]`: Vectorize stores float32 anyway, the local index keeps
   * the bytes as SQLite BLOBs and searches them in a typed matrix, and a 1536-dimension vector
   * is 6 KB instead of 12 KB of doubles; the copies through RPC and caches shrink the same way.
   */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/**
 * Texts per provider call: Workers AI's bge models take at most 100 (`maxItems` of their input
 * schema); OpenAI takes 2,048, but 100 chunks of ~500 tokens stay far below its 300,000-token
 * request cap and keep one failed call cheap to retry.
 */
export const EMBED_BATCH_SIZE = 100;

/**
 * `EMBEDDER` names an embedder whose key or binding is missing, or no embedder at all. Thrown
 * rather than falling back to `hash`: the fallback's vectors would land in an index built by
 * the configured model (wrong dimensions for Vectorize, meaningless neighbours for the local
 * index), and a search would quietly return noise. Ingestion should fail the document with this
 * message; search can skip the vector half and answer from keyword search alone.
 */
export class EmbedderConfigError extends Error {
  override readonly name = "EmbedderConfigError";
}
