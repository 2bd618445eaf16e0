import { sha256Hex } from "../../lib/crypto";
import { createLogger, type Logger } from "../../lib/logger";
import type { Embedder } from "./embedder";

/**
 * Embeddings kept by content, so an unchanged chunk is never paid for twice: re-ingesting an
 * edited document re-embeds only the chunks whose text changed. The key is the SHA-256 of the
 * embedder's name and the text, so two models never share an entry.
 *
 * Two caches exist (see README.md for why not D1 or the stored vectors themselves): an LRU in the
 * isolate's memory, and a SQLite table in the assistant's `LocalVectorIndexDO` that outlives
 * isolates and the chunks themselves (a document is deleted before its new version is indexed).
 */
export interface EmbeddingCache {
  /** The vectors cached under `keys`, in order; undefined where there is none. */
  getMany(keys: string[]): Promise<(Float32Array | undefined)[]>;
  /** Caches vectors under their keys. */
  putMany(entries: { key: string; vector: Float32Array }[]): Promise<void>;
}

/** The cache key of `text` embedded by `embedderName`: hex SHA-256 of both. */
export function embeddingCacheKey(embedderName: string, text: string): Promise<string> {
  // NUL cannot occur in an embedder name, so no (name, text) pair collides with another.
  return sha256Hex(`${embedderName}\u0000${text}`);
}

/**
 * `inner` behind `cache`: cached texts are answered from it, the rest (each distinct text once)
 * are embedded and then cached. The cache only saves work: if it fails, the embedder answers
 * anyway and the failure is logged. Wrap twice to layer caches (memory in front of durable).
 */
export function cachedEmbedder(
  inner: Embedder,
  cache: EmbeddingCache,
  logger: Logger = createLogger({ component: "embedding-cache" }),
): Embedder {
  return {
    name: inner.name,
    dimensions: inner.dimensions,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const keys = await Promise.all(texts.map((text) => embeddingCacheKey(inner.name, text)));
      let cached: (Float32Array | undefined)[] = [];
      try {
        cached = await cache.getMany(keys);
      } catch (err) {
        logger.warn("embedding cache read failed", { embedder: inner.name, error: err });
      }
      const out: (Float32Array | undefined)[] = keys.map((_, i) => {
        const hit = cached[i];
        return hit && hit.length === inner.dimensions ? hit : undefined;
      });

      const missing = new Map<string, string>(); // key → text, each distinct text embedded once
      out.forEach((vector, i) => {
        if (!vector) missing.set(keys[i] as string, texts[i] as string);
      });
      if (missing.size > 0) {
        const missingKeys = [...missing.keys()];
        const vectors = await inner.embed([...missing.values()]);
        const fresh = new Map(missingKeys.map((key, i) => [key, vectors[i] as Float32Array]));
        out.forEach((vector, i) => {
          if (!vector) out[i] = fresh.get(keys[i] as string);
        });
        try {
          await cache.putMany(missingKeys.map((key) => ({ key, vector: fresh.get(key) as Float32Array })));
        } catch (err) {
          logger.warn("embedding cache write failed", { embedder: inner.name, error: err });
        }
      }
      return out as Float32Array[];
    },
  };
}
