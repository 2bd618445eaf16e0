import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { eraseWorkspace } from "../src/compliance/workspace-erasure";
import { HashEmbedder } from "../src/knowledge/embeddings/hash-embedder";
import { embeddingText, writeDocument } from "../src/knowledge/index-chunks";
import type { ChunkInput } from "../src/knowledge/knowledge-index/index-types";
import { LocalVectorStore } from "../src/knowledge/vector-store/local-vector-store";
import { call, createAssistant, signUp } from "./helpers";
import { indexRowCounts, indexedChunkIds } from "./knowledge-index-helpers";

type Hit = { chunk_id: string; document_id: string; title: string; content: string; score: number; source: string | null };

async function setup(name = "Index") {
  const s = await signUp(name);
  const assistant = await createAssistant(s.access_token);
  return { s, assistant, token: s.access_token as string, workspaceId: s.workspace.id as string };
}

/** Uploads manual documents and waits until every one is ready. */
async function addDocuments(token: string, assistantId: string, docs: { title: string; content: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const d of docs) {
    const res = await call("POST", `/api/v1/assistants/${assistantId}/documents`, { token, body: d });
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  for (const id of ids) {
    await expect.poll(async () => (await call("GET", `/api/v1/documents/${id}`, { token })).body.status, { timeout: 15_000, interval: 150 }).toBe("ready");
  }
  return ids;
}

async function search(token: string, assistantId: string, q: string, mode: "hybrid" | "keyword" | "vector" = "hybrid"): Promise<Hit[]> {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/search?q=${encodeURIComponent(q)}&k=10&mode=${mode}`, { token });
  expect(res.status).toBe(200);
  return res.body.data as Hit[];
}

const SHOP_A = [
  { title: "Refunds", content: "Refunds are paid to the original card within five business days after the returned parcel arrives." },
  { title: "Shipping", content: "Standard shipping takes three to five business days; express shipping arrives the next day." },
  { title: "Battery care", content: "Charge the battery to eighty percent for daily rides and store it indoors in winter." },
];
/** Another workspace's articles, sharing most of A's words, so shared statistics would move A's scores. */
const SHOP_B = Array.from({ length: 8 }, (_, i) => ({
  title: `Refund and shipping note ${i + 1}`,
  content: `Refunds refunds shipping express parcel card battery winter business days ${"shipping refunds ".repeat(i + 1)}`,
}));
const QUERIES = ["how fast are refunds paid to my card", "express shipping next day", "battery in winter"];

describe("knowledge index: one per assistant", () => {
  it("gives one workspace identical ranks and scores whatever another workspace indexes", async () => {
    const a = await setup("Tenant A");
    const b = await setup("Tenant B");
    await addDocuments(a.token, a.assistant.id, SHOP_A);
    const before: Record<string, Hit[]> = {};
    for (const q of QUERIES) for (const mode of ["hybrid", "keyword", "vector"] as const) before[`${mode}:${q}`] = await search(a.token, a.assistant.id, q, mode);
    expect(before[`keyword:${QUERIES[0]}`]![0]).toMatchObject({ title: "Refunds" });
    expect(before[`vector:${QUERIES[1]}`]![0]).toMatchObject({ title: "Shipping" });

    await addDocuments(b.token, b.assistant.id, SHOP_B);
    expect((await search(b.token, b.assistant.id, "refunds shipping", "keyword")).length).toBe(SHOP_B.length);
    const after: Record<string, Hit[]> = {};
    for (const q of QUERIES) for (const mode of ["hybrid", "keyword", "vector"] as const) after[`${mode}:${q}`] = await search(a.token, a.assistant.id, q, mode);
    expect(after).toEqual(before);
    // B's own index holds only B's chunks, A's only A's.
    expect((await indexRowCounts(a.assistant.id)).chunks).toBe(SHOP_A.length);
    expect((await indexRowCounts(b.assistant.id)).chunks).toBe(SHOP_B.length);
  });

  it("finds a document by keywords and by vector until it is deleted, then by neither", async () => {
    const { assistant, token } = await setup();
    const [docId] = await addDocuments(token, assistant.id, [{ title: "Warranty", content: "Every frame carries a lifetime warranty; motors are covered for two years." }]);
    await addDocuments(token, assistant.id, [{ title: "Opening hours", content: "The shop opens Monday to Saturday from nine to six." }]);
    for (const mode of ["keyword", "vector", "hybrid"] as const) {
      expect((await search(token, assistant.id, "lifetime frame warranty", mode))[0], mode).toMatchObject({ document_id: docId, title: "Warranty" });
    }
    expect(await indexRowCounts(assistant.id, "warranty")).toEqual({ chunks: 2, fts: 1, vectors: 2 });

    expect((await call("DELETE", `/api/v1/documents/${docId}`, { token })).status).toBe(204);
    for (const mode of ["keyword", "vector", "hybrid"] as const) {
      const hits = await search(token, assistant.id, "lifetime frame warranty", mode);
      expect(hits.map((h) => h.document_id), mode).not.toContain(docId);
    }
    expect(await indexRowCounts(assistant.id, "warranty")).toEqual({ chunks: 1, fts: 0, vectors: 1 });
    expect(await indexedChunkIds(assistant.id, docId!)).toEqual([]);
  });

  it("empties the index when the assistant is deleted", async () => {
    const { assistant, token } = await setup();
    await addDocuments(token, assistant.id, SHOP_A);
    expect(await indexRowCounts(assistant.id)).toEqual({ chunks: 3, fts: 3, vectors: 3 });
    expect((await call("DELETE", `/api/v1/assistants/${assistant.id}`, { token })).status).toBe(204);
    expect(await indexRowCounts(assistant.id)).toEqual({ chunks: 0, fts: 0, vectors: 0 });
  });

  it("empties every assistant's index when a closed workspace is erased", async () => {
    const { assistant, token, workspaceId } = await setup("Closing");
    const second = await createAssistant(token);
    await addDocuments(token, assistant.id, SHOP_A);
    await addDocuments(token, second.id, SHOP_A.slice(0, 1));
    expect((await indexRowCounts(second.id)).chunks).toBe(1);
    const name = (await env.DB.prepare("select name from workspaces where id = ?").bind(workspaceId).first<{ name: string }>())!.name;
    const close = await call("DELETE", "/api/v1/workspace", { token, body: { confirm_name: name } });
    expect(close.status).toBe(204);
    expect((await eraseWorkspace(env, workspaceId)).complete).toBe(true);
    expect(await indexRowCounts(assistant.id)).toEqual({ chunks: 0, fts: 0, vectors: 0 });
    expect(await indexRowCounts(second.id)).toEqual({ chunks: 0, fts: 0, vectors: 0 });
  });

  it("refuses a call that names another workspace than the index's, and changes nothing", async () => {
    const a = await setup("Owner");
    const b = await setup("Intruder");
    await addDocuments(a.token, a.assistant.id, SHOP_A);
    const index = env.KNOWLEDGE_INDEX.getByName(a.assistant.id);
    const foreign = { workspaceId: b.workspaceId, assistantId: a.assistant.id };
    // The outcome of an RPC call as text: "resolved", or the error it was refused with.
    const outcome = (p: Promise<unknown>) => p.then(() => "resolved", (err: unknown) => String(err));
    expect(await outcome(index.search(foreign, { query: "refunds", mode: "keyword", k: 5, queryVector: null }))).toMatch(/another workspace/);
    expect(await outcome(index.deleteAll(foreign))).toMatch(/another workspace/);
    expect(await outcome(index.deleteDocument(foreign, "doc_x"))).toMatch(/another workspace/);
    expect(await indexRowCounts(a.assistant.id)).toEqual({ chunks: 3, fts: 3, vectors: 3 });
    expect((await search(a.token, a.assistant.id, "refunds", "keyword"))[0]).toMatchObject({ title: "Refunds" });
  });

  it("lets a search for another workspace's assistant id claim nothing: its owner ingests and searches afterwards", async () => {
    const a = await setup("FreshOwner");
    const b = await setup("FreshIntruder");
    // A's assistant has never been searched or given documents: its index belongs to no one yet.
    for (const mode of ["keyword", "vector", "hybrid"]) {
      const res = await call("GET", `/api/v1/assistants/${a.assistant.id}/search?q=refunds&k=5&mode=${mode}`, { token: b.token });
      expect(res.status, mode).toBe(404);
    }
    // The early search the route starts beside its ownership check answers "not yours yet".
    const index = env.KNOWLEDGE_INDEX.getByName(a.assistant.id);
    const foreign = { workspaceId: b.workspaceId, assistantId: a.assistant.id };
    expect(await index.searchIfClaimed(foreign, { query: "refunds", mode: "keyword", k: 5, queryVector: null })).toBeNull();
    // Nor does it make the object store anything: no tables until its owner's first call.
    const tables = await runInDurableObject(index, async (_instance, state) => state.storage.sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").one().n);
    expect(tables).toBe(0);
    expect((await index.stats({ workspaceId: a.workspaceId, assistantId: a.assistant.id })).chunks).toBe(0);
    await addDocuments(a.token, a.assistant.id, SHOP_A);
    expect((await search(a.token, a.assistant.id, "refunds", "keyword"))[0]).toMatchObject({ title: "Refunds" });
    // Once claimed by A, B's searches still find nothing of A's.
    expect((await call("GET", `/api/v1/assistants/${a.assistant.id}/search?q=refunds&k=5&mode=keyword`, { token: b.token })).status).toBe(404);
    expect(await index.searchIfClaimed(foreign, { query: "refunds", mode: "keyword", k: 5, queryVector: null })).toBeNull();
    expect(await indexRowCounts(a.assistant.id)).toEqual({ chunks: 3, fts: 3, vectors: 3 });
  });

  it("answers a search of the owner's first call to a fresh index, and none once the assistant is deleted", async () => {
    const { assistant, token } = await setup("FirstSearch");
    // The first search claims the index the ordinary way, after the early one declined.
    expect(await search(token, assistant.id, "refunds", "keyword")).toEqual([]);
    await addDocuments(token, assistant.id, SHOP_A);
    expect((await search(token, assistant.id, "refunds", "hybrid"))[0]).toMatchObject({ title: "Refunds" });
    expect((await call("DELETE", `/api/v1/assistants/${assistant.id}`, { token })).status).toBe(204);
    expect((await call("GET", `/api/v1/assistants/${assistant.id}/search?q=refunds&k=5&mode=keyword`, { token })).status).toBe(404);
  });

  it("swaps a document of many parts in at once: staged chunks stay invisible until the last part", async () => {
    const { assistant, workspaceId } = await setup();
    const owner = { workspaceId, assistantId: assistant.id, documentId: "doc_large_manual", title: "Large manual" };
    const hash = new HashEmbedder();
    const chunk = (i: number, word: string): ChunkInput => {
      const content = `Section ${i} of the manual explains the ${word} procedure step ${i}.`;
      return { id: `chk_large${word}${i}`, ordinal: i, heading: null, content, contentHash: `h${i}`, tokenCount: 12, vector: hash.embedOne(embeddingText(owner.title, { heading: null, content })) };
    };
    await writeDocument(env, owner, [0, 1, 2].map((i) => chunk(i, "calibration")));
    const scope = { workspaceId, assistantId: assistant.id };
    const index = env.KNOWLEDGE_INDEX.getByName(assistant.id);
    const document = { documentId: owner.documentId, title: owner.title, sourceUrl: null };
    await index.stageChunks(scope, "staging-1", document, [chunk(10, "lubrication")]);
    const keyword = (q: string) => index.search(scope, { query: q, mode: "keyword", k: 5, queryVector: null });
    expect(await keyword("lubrication")).toEqual([]);
    expect((await keyword("calibration")).length).toBe(3);

    const parts = Array.from({ length: 1_201 }, (_, i) => chunk(i, "lubrication"));
    expect(await writeDocument(env, owner, parts)).toBe(1_201);
    expect(await keyword("calibration")).toEqual([]);
    expect(await index.stats(scope)).toMatchObject({ chunks: 1_201, documents: 1, vectors: 1_201, dimensions: 1536 });
    const ids = await indexedChunkIds(assistant.id, owner.documentId);
    expect(ids).toEqual(parts.map((p) => p.id));
  });
});

describe("knowledge index: moving in from the shared D1 index", () => {
  it("makes chunks indexed the old way searchable through the index, and removes them from D1", async () => {
    const { assistant, token, workspaceId } = await setup("Legacy");
    const hash = new HashEmbedder();
    const legacy = [
      { doc: "doc_legacylive", chunk: "chk_legacylive", title: "Returns", content: "Unused items can be returned within thirty days for a full refund.", deleted: false },
      { doc: "doc_legacygone", chunk: "chk_legacygone", title: "Old returns", content: "Unused items could be returned within fourteen days.", deleted: true },
    ];
    for (const l of legacy) {
      await env.DB.prepare(
        `insert into kb_documents (id, workspace_id, assistant_id, title, source_type, source_url, status, chunk_count, deleted_at)
         values (?, ?, ?, ?, 'url', 'https://shop.example/returns', 'ready', 1, ?)`,
      )
        .bind(l.doc, workspaceId, assistant.id, l.title, l.deleted ? "2026-01-01T00:00:00.000Z" : null)
        .run();
      await env.DB.prepare(
        `insert into kb_chunks (id, workspace_id, assistant_id, document_id, ordinal, title, heading, content, token_count, content_hash)
         values (?, ?, ?, ?, 0, ?, null, ?, 12, ?)`,
      )
        .bind(l.chunk, workspaceId, assistant.id, l.doc, l.title, l.content, `h-${l.chunk}`)
        .run();
    }
    await new LocalVectorStore(env.VECTOR_INDEX).upsert(
      assistant.id,
      legacy.map((l) => ({
        id: l.chunk,
        values: hash.embedOne(embeddingText(l.title, { heading: null, content: l.content })),
        metadata: { document_id: l.doc, chunk_id: l.chunk, workspace_id: workspaceId },
      })),
    );
    const d1Rows = async () =>
      (await env.DB.prepare("select count(*) as n from kb_chunks where assistant_id = ?").bind(assistant.id).first<{ n: number }>())!.n;
    const d1Fts = async () => (await env.DB.prepare("select count(*) as n from kb_chunks_fts where kb_chunks_fts match 'unused'").first<{ n: number }>())!.n;
    expect(await d1Rows()).toBe(2);
    expect(await d1Fts()).toBeGreaterThanOrEqual(2);
    expect(await env.VECTOR_INDEX.getByName(assistant.id).count()).toBe(2);

    const keyword = await search(token, assistant.id, "return unused items for a refund", "keyword");
    expect(keyword.map((h) => [h.chunk_id, h.source])).toEqual([["chk_legacylive", "https://shop.example/returns"]]);
    const vector = await search(token, assistant.id, "return unused items for a refund", "vector");
    expect(vector[0]).toMatchObject({ chunk_id: "chk_legacylive", title: "Returns" });
    expect(vector.map((h) => h.chunk_id)).not.toContain("chk_legacygone");

    expect(await d1Rows()).toBe(0);
    expect(await d1Fts()).toBe(0);
    expect(await env.VECTOR_INDEX.getByName(assistant.id).count()).toBe(0);
    const stats = await env.KNOWLEDGE_INDEX.getByName(assistant.id).stats({ workspaceId, assistantId: assistant.id });
    expect(stats).toEqual({ chunks: 1, documents: 1, vectors: 1, dimensions: 1536, legacyImported: true });
  });
});
