import type { EmbeddingCache } from "./embedding-cache";

/**
 * Bytes of vectors one isolate keeps: 8 MB is ~1,300 OpenAI vectors or ~2,700 bge ones, enough
 * for the questions asked over and over, and a small share of the isolate's 128 MB.
 */
export const MEMORY_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * A least-recently-used embedding cache in the isolate's memory, bounded by bytes. Lost whenever
 * the isolate is; shared by the requests the isolate serves, which is safe because entries are
 * keyed by content and hold nothing but the text's vector.
 */
export class MemoryEmbeddingCache implements EmbeddingCache {
  // A Map iterates in insertion order: re-inserting on every hit keeps the oldest first.
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number = MEMORY_CACHE_BYTES) {}

  async getMany(keys: string[]): Promise<(Float32Array | undefined)[]> {
    return keys.map((key) => {
      const vector = this.entries.get(key);
      if (!vector) return undefined;
      this.entries.delete(key);
      this.entries.set(key, vector);
      return vector.slice(); // a copy: callers may scale or reuse what they get

    });
  }

  async putMany(entries: { key: string; vector: Float32Array }[]): Promise<void> {
    for (const { key, vector } of entries) {
      const previous = this.entries.get(key);
      if (previous) {
        this.bytes -= previous.byteLength;
        this.entries.delete(key);
      }
      if (vector.byteLength > this.maxBytes) continue;
      this.entries.set(key, vector.slice());
      this.bytes += vector.byteLength;
    }
    for (const [key, vector] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= vector.byteLength;
    }
  }

  /** Entries held. */
  get size(): number {
    return this.entries.size;
  }
}

/** The cache every request of this isolate shares. */
export const isolateEmbeddingCache = new MemoryEmbeddingCache();
