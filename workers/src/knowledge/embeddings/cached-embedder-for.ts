import type { NamedObjects } from "../../storage/data-region";
import type { LocalVectorIndexDO } from "../local-vector-index-do";
import { createEmbedder, type EmbedderEnv } from "./create-embedder";
import { DurableEmbeddingCache } from "./durable-embedding-cache";
import type { Embedder } from "./embedder";
import { cachedEmbedder } from "./embedding-cache";
import { HashEmbedder } from "./hash-embedder";
import { isolateEmbeddingCache } from "./memory-embedding-cache";

/** What `cachedEmbedderFor` reads: the embedder's settings and the index binding for the durable cache. */
export type CachedEmbedderEnv = EmbedderEnv & { VECTOR_INDEX: NamedObjects<LocalVectorIndexDO> };

/**
 * The embedder ingestion and search should use: `createEmbedder(env)` behind the isolate's
 * memory cache and, when `namespace` (the assistant id) is given, behind that assistant's
 * durable cache too. Ingestion passes the namespace; search does not, because one-off questions
 * would only crowd the durable cache. `hash` comes back bare: hashing a text is cheaper than
 * computing its cache key.
 */
export function cachedEmbedderFor(env: CachedEmbedderEnv, namespace?: string): Embedder {
  const embedder = createEmbedder(env);
  if (embedder instanceof HashEmbedder) return embedder;
  const durable = namespace ? cachedEmbedder(embedder, new DurableEmbeddingCache(env.VECTOR_INDEX, namespace)) : embedder;
  return cachedEmbedder(durable, isolateEmbeddingCache);
}
