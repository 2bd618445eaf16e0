import { env, runInDurableObject } from "cloudflare:test";
import { expect, it } from "vitest";
import { HashEmbedder } from "../embeddings/hash-embedder";
import { LocalVectorStore } from "./local-vector-store";

it("probe", async () => {
  const store = new LocalVectorStore(env.VECTOR_INDEX);
  const hash = new HashEmbedder();
  const lines: string[] = [];
  for (const size of [1000, 10000]) {
    const ns = `ast_probe${size}`;
    let seed = 1;
    const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed / 4294967296 - 0.5; };
    const recs = Array.from({ length: size }, (_, i) => ({ id: `chk_${i}`, values: Float32Array.from({ length: 1536 }, rnd), metadata: { document_id: "d", chunk_id: `chk_${i}`, workspace_id: "w" } }));
    let t = Date.now();
    for (let i = 0; i < recs.length; i += 1000) await store.upsert(ns, recs.slice(i, i + 1000));
    const upsertMs = Date.now() - t;
    await runInDurableObject(env.VECTOR_INDEX.getByName(ns), (inst) => { (inst as unknown as { matrix: unknown }).matrix = null; });
    const q = hash.embedOne("How do I get a refund for my order?");
    t = Date.now(); await store.query(ns, q, { topK: 10 }); const rebuild = Date.now() - t;
    const hashT: number[] = []; const denseT: number[] = [];
    for (let i = 0; i < 100; i++) { t = Date.now(); await store.query(ns, q, { topK: 10 }); hashT.push(Date.now() - t); }
    const dq = Float32Array.from({ length: 1536 }, rnd);
    for (let i = 0; i < 100; i++) { t = Date.now(); await store.query(ns, dq, { topK: 10 }); denseT.push(Date.now() - t); }
    hashT.sort((a, b) => a - b); denseT.sort((a, b) => a - b);
    lines.push(`PROBE ${size}x1536 upsert ${upsertMs}ms, first query after eviction ${rebuild}ms, hash q p50 ${hashT[50]} p99 ${hashT[99]}, dense q p50 ${denseT[50]} p99 ${denseT[99]}`);
  }
  expect(lines).toEqual([]);
}, 300_000);
