import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Logger } from "../../lib/logger";
import { MAX_CACHED_EMBEDDINGS } from "../local-vector-index-do";
import { DurableEmbeddingCache } from "./durable-embedding-cache";
import { cachedEmbedder, embeddingCacheKey, type EmbeddingCache } from "./embedding-cache";
import type { Embedder } from "./embedder";
import { HashEmbedder } from "./hash-embedder";
import { MemoryEmbeddingCache } from "./memory-embedding-cache";

/** The hash embedder under another name, counting the texts it is asked to embed. */
function countingEmbedder(name = "counting:v1") {
  const hash = new HashEmbedder(64);
  const seen: string[] = [];
  const embedder: Embedder = {
    name,
    dimensions: hash.dimensions,
    async embed(texts) {
      seen.push(...texts);
      return hash.embed(texts);
    },
  };
  return { embedder, seen };
}

const silent: Logger = { info: () => {}, warn: () => {}, error: () => {}, with: () => silent };

let namespaces = 0;
function freshDurableCache(): DurableEmbeddingCache {
  namespaces += 1;
  return new DurableEmbeddingCache(env.VECTOR_INDEX, `ast_cache${Date.now().toString(36)}${namespaces}`);
}

describe("cached embedder", () => {
  it("embeds each distinct text once and answers repeats from the cache", async () => {
    const { embedder, seen } = countingEmbedder();
    const cached = cachedEmbedder(embedder, new MemoryEmbeddingCache(), silent);
    const first = await cached.embed(["refund policy", "shipping times", "refund policy"]);
    expect(seen).toEqual(["refund policy", "shipping times"]);
    expect(first[2]).toEqual(first[0]);

    const second = await cached.embed(["shipping times", "gift cards", "refund policy"]);
    expect(seen).toEqual(["refund policy", "shipping times", "gift cards"]);
    expect(second[0]).toEqual(first[1]);
    expect(second[2]).toEqual(first[0]);
    expect(cached.name).toBe(embedder.name);
    expect(cached.dimensions).toBe(embedder.dimensions);
  });

  it("keys entries by embedder and text, so two models never share a vector", async () => {
    const cache = new MemoryEmbeddingCache();
    const a = countingEmbedder("model-a");
    const b = countingEmbedder("model-b");
    await cachedEmbedder(a.embedder, cache, silent).embed(["refund policy"]);
    await cachedEmbedder(b.embedder, cache, silent).embed(["refund policy"]);
    expect(b.seen).toEqual(["refund policy"]);
    expect(await embeddingCacheKey("model-a", "refund policy")).toMatch(/^[0-9a-f]{64}$/);
    expect(await embeddingCacheKey("model-a", "x")).not.toBe(await embeddingCacheKey("model-b", "x"));
  });

  it("still answers when the cache fails, and says so in the log", async () => {
    const broken: EmbeddingCache = {
      getMany: () => Promise.reject(new Error("cache down")),
      putMany: () => Promise.reject(new Error("cache down")),
    };
    const warnings: string[] = [];
    const logger: Logger = { ...silent, warn: (msg) => void warnings.push(msg) };
    const { embedder } = countingEmbedder();
    const vectors = await cachedEmbedder(embedder, broken, logger).embed(["refund policy"]);
    expect(vectors[0]).toEqual((await embedder.embed(["refund policy"]))[0]);
    expect(warnings).toEqual(["embedding cache read failed", "embedding cache write failed"]);
  });

  it("layers a memory cache in front of the durable one", async () => {
    const durable = freshDurableCache();
    const { embedder, seen } = countingEmbedder();
    const layered = () => cachedEmbedder(cachedEmbedder(embedder, durable, silent), new MemoryEmbeddingCache(), silent);
    const first = await layered().embed(["refund policy"]);
    // A new isolate: empty memory, same durable cache.
    const second = await layered().embed(["refund policy"]);
    expect(seen).toEqual(["refund policy"]);
    expect(second).toEqual(first);
  });
});

describe("memory embedding cache", () => {
  it("drops the least recently used entries past its byte budget", async () => {
    const cache = new MemoryEmbeddingCache(3 * 16); // three 4-value vectors
    const v = (x: number) => new Float32Array([x, x, x, x]);
    await cache.putMany([{ key: "a", vector: v(1) }, { key: "b", vector: v(2) }, { key: "c", vector: v(3) }]);
    await cache.getMany(["a"]); // a is now the most recently used
    await cache.putMany([{ key: "d", vector: v(4) }]);
    expect(await cache.getMany(["a", "b", "c", "d"])).toEqual([v(1), undefined, v(3), v(4)]);
    expect(cache.size).toBe(3);
  });

  it("hands out copies, so a caller cannot change what is cached", async () => {
    const cache = new MemoryEmbeddingCache();
    const vector = new Float32Array([1, 0]);
    await cache.putMany([{ key: "k", vector }]);
    vector[0] = 5;
    const [got] = await cache.getMany(["k"]);
    got?.fill(9);
    expect(await cache.getMany(["k"])).toEqual([new Float32Array([1, 0])]);
  });
});

describe("durable embedding cache", () => {
  it("keeps vectors by key in the assistant's index object, exactly as float32", async () => {
    const cache = freshDurableCache();
    const vector = Float32Array.from([0.1, -0.25, 1 / 3]);
    await cache.putMany([{ key: "k1", vector }]);
    expect(await cache.getMany(["k0", "k1"])).toEqual([undefined, vector]);
  });

  it(`keeps at most ${MAX_CACHED_EMBEDDINGS} entries, dropping the least recently used`, async () => {
    const cache = freshDurableCache();
    const entries = Array.from({ length: MAX_CACHED_EMBEDDINGS + 5 }, (_, i) => ({ key: `k${i}`, vector: Float32Array.of(i) }));
    await cache.putMany(entries.slice(0, 10));
    await cache.putMany(entries.slice(10));
    // The first batch is the oldest: five of its entries made room for the last five.
    const firstTen = await cache.getMany(entries.slice(0, 10).map((e) => e.key));
    expect(firstTen.filter((v) => v === undefined)).toHaveLength(5);
    expect(await cache.getMany([`k${MAX_CACHED_EMBEDDINGS + 4}`])).toEqual([Float32Array.of(MAX_CACHED_EMBEDDINGS + 4)]);
  });
});
