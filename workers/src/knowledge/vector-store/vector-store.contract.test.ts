import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { VectorizeDouble } from "../../../test/vectorize-double";
import { LocalVectorStore } from "./local-vector-store";
import { MAX_TOP_K } from "./limits";
import { createVectorStore } from "./create-vector-store";
import type { VectorRecord, VectorStore } from "./vector-store";
import { VectorizeStore } from "./vectorize-store";
import { seededRandom } from "../../lib/seeded-random";

const DIMS = 32;

function randomVector(next: () => number, dims = DIMS): number[] {
  return Array.from({ length: dims }, () => next() * 2 - 1);
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  });
  return ab / Math.sqrt(aa * bb);
}

function record(id: string, values: number[] | Float32Array, workspace = "ws_test"): VectorRecord {
  return { id, values, metadata: { document_id: `doc_${id}`, chunk_id: id, workspace_id: workspace } };
}

function records(prefix: string, count: number, seed: number): { id: string; values: number[] }[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${String(i).padStart(5, "0")}`, values: randomVector(next) }));
}

let namespaces = 0;
/** A namespace no other test uses (local indexes are Durable Objects that outlive a test). */
function freshNamespace(): string {
  namespaces += 1;
  return `ast_contract${Date.now().toString(36)}${namespaces}`;
}

interface Subject {
  store: VectorStore;
  /** The Vectorize double behind the store, when there is one. */
  double?: VectorizeDouble;
}

const subjects: [string, () => Subject][] = [
  ["local", () => ({ store: new LocalVectorStore(env.VECTOR_INDEX) })],
  [
    "vectorize",
    () => {
      const double = new VectorizeDouble(DIMS);
      return { store: new VectorizeStore(double), double };
    },
  ],
];

describe.each(subjects)("VectorStore contract: %s", (_name, make) => {
  it("returns the exact nearest neighbours, best first, with cosine scores and metadata", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const stored = records("chk_rank", 300, 1);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));

    const next = seededRandom(99);
    for (let q = 0; q < 5; q++) {
      const query = randomVector(next);
      const expected = stored
        .map((r) => ({ id: r.id, score: cosine(query, r.values) }))
        .sort((a, b) => b.score - a.score)
        .slice(0, 10);
      const matches = await store.query(ns, query, { topK: 10 });
      expect(matches.map((m) => m.id)).toEqual(expected.map((e) => e.id));
      matches.forEach((m, i) => expect(m.score).toBeCloseTo(expected[i]?.score ?? NaN, 5));
    }
    const [best] = await store.query(ns, stored[7]?.values ?? [], { topK: 1 });
    expect(best).toMatchObject({ id: "chk_rank00007", metadata: { document_id: "doc_chk_rank00007", chunk_id: "chk_rank00007", workspace_id: "ws_test" } });
    expect(best?.score).toBeCloseTo(1, 5);
  });

  it("accepts Float32Array and unnormalised values alike: only the direction counts", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const [a, b] = records("chk_scale", 2, 2);
    await store.upsert(ns, [
      record("chk_scaled", (a?.values ?? []).map((x) => x * 40)),
      record("chk_float32", Float32Array.from(b?.values ?? [])),
    ]);
    const matches = await store.query(ns, Float32Array.from(a?.values ?? [], (x) => x / 7), { topK: 2 });
    expect(matches[0]?.id).toBe("chk_scaled");
    expect(matches[0]?.score).toBeCloseTo(1, 5);
  });

  it("keeps namespaces apart: an assistant never sees or deletes another's vectors", async () => {
    const { store } = make();
    const first = freshNamespace();
    const second = freshNamespace();
    const shared = randomVector(seededRandom(3));
    await store.upsert(first, [record("chk_first_a", shared, "ws_one"), ...records("chk_first_", 5, 4).map((r) => record(r.id, r.values, "ws_one"))]);
    await store.upsert(second, [record("chk_second_a", shared, "ws_two")]);

    const fromFirst = await store.query(first, shared, { topK: 20 });
    expect(fromFirst).toHaveLength(6);
    expect(fromFirst.every((m) => m.id.startsWith("chk_first_") && m.metadata.workspace_id === "ws_one")).toBe(true);
    expect(await store.query(second, shared, { topK: 20 })).toEqual([
      expect.objectContaining({ id: "chk_second_a", metadata: { document_id: "doc_chk_second_a", chunk_id: "chk_second_a", workspace_id: "ws_two" } }),
    ]);
    expect(await store.query(freshNamespace(), shared, { topK: 5 })).toEqual([]);

    await store.deleteByIds(first, ["chk_first_a"]);
    expect((await store.query(second, shared, { topK: 5 })).map((m) => m.id)).toEqual(["chk_second_a"]);
  });

  it("deletes by id and ignores ids it does not hold", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const stored = records("chk_del", 30, 5);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));
    const gone = stored.slice(0, 10).map((r) => r.id);
    await store.deleteByIds(ns, [...gone, "chk_never_stored"]);

    const matches = await store.query(ns, stored[0]?.values ?? [], { topK: 20 });
    expect(matches).toHaveLength(20);
    expect(matches.some((m) => gone.includes(m.id))).toBe(false);
    await store.deleteByIds(ns, []);
    await store.deleteByIds(ns, stored.map((r) => r.id));
    expect(await store.query(ns, stored[0]?.values ?? [], { topK: 5 })).toEqual([]);
  });

  it("replaces a vector and its metadata in full when its id is upserted again", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const [before, after] = records("chk_v", 2, 6);
    await store.upsert(ns, [record("chk_same", before?.values ?? [])]);
    await store.upsert(ns, [{ id: "chk_same", values: after?.values ?? [], metadata: { document_id: "doc_new", chunk_id: "chk_same", workspace_id: "ws_test" } }]);

    const matches = await store.query(ns, after?.values ?? [], { topK: 5 });
    expect(matches).toHaveLength(1);
    expect(matches[0]).toMatchObject({ id: "chk_same", metadata: { document_id: "doc_new" } });
    expect(matches[0]?.score).toBeCloseTo(1, 5);
  });

  it("stores 2,500 vectors from one call, split within the upsert limits", async () => {
    const { store, double } = make();
    const ns = freshNamespace();
    const stored = records("chk_bulk", 2500, 7);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));
    if (double) expect(double.calls.filter((c) => c.method === "upsert").map((c) => c.size)).toEqual([1000, 1000, 500]);

    for (const probe of [stored[0], stored[1234], stored[2499]]) {
      const [best] = await store.query(ns, probe?.values ?? [], { topK: 1 });
      expect(best?.id).toBe(probe?.id);
    }
    await store.deleteByIds(ns, stored.slice(0, 2000).map((r) => r.id));
    if (double) expect(double.calls.filter((c) => c.method === "deleteByIds").map((c) => c.size)).toEqual([1000, 1000]);
    const [best] = await store.query(ns, stored[0]?.values ?? [], { topK: 1 });
    expect(Number(best?.id.slice("chk_bulk".length))).toBeGreaterThanOrEqual(2000);
  });

  it(`caps topK at ${MAX_TOP_K} and answers nothing below 1`, async () => {
    const { store } = make();
    const ns = freshNamespace();
    const stored = records("chk_k", 40, 8);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));
    const query = stored[3]?.values ?? [];
    expect(await store.query(ns, query, { topK: 100 })).toHaveLength(MAX_TOP_K);
    expect(await store.query(ns, query, { topK: 3.7 })).toHaveLength(3);
    expect(await store.query(ns, query, { topK: 0 })).toEqual([]);
    expect(await store.query(ns, query, { topK: -5 })).toEqual([]);

    const small = freshNamespace();
    await store.upsert(small, stored.slice(0, 4).map((r) => record(r.id, r.values)));
    expect(await store.query(small, query, { topK: 10 })).toHaveLength(4);
  });

  it("keeps no vector for a zero vector, which has no direction, and answers one with nothing", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const stored = records("chk_z", 3, 9);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));
    expect(await store.query(ns, new Float32Array(DIMS), { topK: 5 })).toEqual([]);

    // A blank chunk embeds to zeros: it is left out, and replaces an earlier vector by none.
    const zeros = new Array<number>(DIMS).fill(0);
    await store.upsert(ns, [record("chk_blank", zeros), record("chk_z00001", zeros), record("chk_new", stored[0]?.values ?? [])]);
    const ids = (await store.query(ns, stored[0]?.values ?? [], { topK: 10 })).map((m) => m.id).sort();
    expect(ids).toEqual(["chk_new", "chk_z00000", "chk_z00002"]);
  });

  it("rejects what Vectorize would reject, before writing anything", async () => {
    const { store } = make();
    const ns = freshNamespace();
    const values = randomVector(seededRandom(10));
    await expect(store.upsert(ns, [record("x".repeat(65), values)])).rejects.toThrow(/64 bytes/);
    // 22 three-byte characters: 22 characters, 66 bytes.
    await expect(store.upsert(ns, [record("é€".repeat(11) + "€".repeat(11), values)])).rejects.toThrow(/64 bytes/);
    await expect(store.upsert("n".repeat(65), [record("chk_ok", values)])).rejects.toThrow(/namespace/);
    await expect(store.upsert(ns, [record("chk_big", new Array<number>(1537).fill(0.1))])).rejects.toThrow(/1536/);
    await expect(store.upsert(ns, [record("chk_a", values), record("chk_b", values.slice(1))])).rejects.toThrow(/same length/);
    await expect(store.upsert(ns, [record("chk_nan", [...values.slice(1), Number.NaN])])).rejects.toThrow(/finite/);
    await expect(store.upsert(ns, [record("chk_twice", values), record("chk_twice", values)])).rejects.toThrow(/twice/);
    await expect(store.deleteByIds(ns, ["y".repeat(65)])).rejects.toThrow(/64 bytes/);
    expect(await store.query(ns, values, { topK: 5 })).toEqual([]);
  });

  it("refuses vectors and queries of another dimension than the index holds", async () => {
    const { store } = make();
    const ns = freshNamespace();
    await store.upsert(ns, records("chk_dim", 3, 11).map((r) => record(r.id, r.values)));
    await expect(store.upsert(ns, [record("chk_short", randomVector(seededRandom(12), DIMS / 2))])).rejects.toThrow(/dimension/);
    await expect(store.query(ns, randomVector(seededRandom(13), DIMS / 2), { topK: 3 })).rejects.toThrow(/dimension/);
  });
});

describe("local vector store", () => {
  it("keeps vectors as float32 BLOBs and rebuilds its search matrix from SQLite after eviction", async () => {
    const store = new LocalVectorStore(env.VECTOR_INDEX);
    const ns = freshNamespace();
    const stored = records("chk_blob", 50, 14);
    await store.upsert(ns, stored.map((r) => record(r.id, r.values)));
    const query = stored[21]?.values ?? [];
    const before = await store.query(ns, query, { topK: 5 });

    const stub = env.VECTOR_INDEX.getByName(ns);
    const bytes = await runInDurableObject(stub, (instance, state) => {
      // What eviction does: the object's memory goes, its SQLite stays.
      (instance as unknown as { matrix: unknown }).matrix = null;
      return state.storage.sql.exec<{ n: number }>("SELECT DISTINCT length(vector) AS n FROM vectors").toArray();
    });
    expect(bytes).toEqual([{ n: DIMS * 4 }]);
    expect(await store.query(ns, query, { topK: 5 })).toEqual(before);
  });

  it("deletes a whole namespace, and a new index may then take another dimension", async () => {
    const store = new LocalVectorStore(env.VECTOR_INDEX);
    const ns = freshNamespace();
    await store.upsert(ns, records("chk_all", 10, 15).map((r) => record(r.id, r.values)));
    await store.deleteNamespace(ns);
    expect(await env.VECTOR_INDEX.getByName(ns).count()).toBe(0);
    expect(await store.query(ns, randomVector(seededRandom(16)), { topK: 5 })).toEqual([]);

    const wider = randomVector(seededRandom(17), DIMS * 2);
    await store.upsert(ns, [record("chk_wide", wider)]);
    expect((await store.query(ns, wider, { topK: 1 }))[0]?.id).toBe("chk_wide");
  });

  it("still answers ping", async () => {
    expect(await env.VECTOR_INDEX.getByName(freshNamespace()).ping()).toBe("pong");
  });
});

describe("createVectorStore", () => {
  it("is local by default and Vectorize when asked and bound", () => {
    expect(createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX }).kind).toBe("local");
    expect(createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX, VECTOR_STORE: "local" }).kind).toBe("local");
    const vectorize = createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX, VECTOR_STORE: "vectorize", VECTORIZE: new VectorizeDouble(DIMS) });
    expect(vectorize.kind).toBe("vectorize");
  });

  it("refuses Vectorize without its binding, and unknown stores", () => {
    expect(() => createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX, VECTOR_STORE: "vectorize" })).toThrow(/VECTORIZE binding/);
    expect(() => createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX, VECTOR_STORE: "pinecone" })).toThrow(/unknown VECTOR_STORE/);
  });
});
