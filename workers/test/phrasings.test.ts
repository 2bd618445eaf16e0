import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { KnowledgeIndexDO } from "../src/knowledge/knowledge-index/knowledge-index-do";
import { eraseWorkspace } from "../src/compliance/workspace-erasure";
import { onePerSearch, PhrasingIndex } from "../src/knowledge/knowledge-index/phrasing-index";
import { PhrasingStore } from "../src/knowledge/knowledge-index/phrasing-store";
import { quantizeInt8 } from "../src/knowledge/knowledge-index/quantize";
import { createVectorStore } from "../src/knowledge/vector-store/create-vector-store";
import { TermCounts } from "../src/knowledge/knowledge-index/term-counts";
import { fts5Idf, phrasingKeywordScore } from "../src/knowledge/retrieval/phrasing-evidence";
import { queryTerms } from "../src/knowledge/retrieval/tokens";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";
import { VectorizeDouble } from "./vectorize-double";

/** Help articles; none of them uses the words visitors use for a helmet swap. */
const ARTICLES = [
  { title: "Returns and refunds", content: "You can return any unused item within 30 days of delivery for a full refund to the original payment method." },
  { title: "Battery care", content: "Charge the e-bike battery to 80 percent for daily use and store it indoors at room temperature in winter." },
  { title: "Shipping times", content: "Standard shipping takes 3 to 5 business days within the EU; express shipping arrives the next business day." },
];
/** A question no article shares a word with. */
const HELMET_QUESTION = "Is a cracked helmet swapped?";

/** Adds `{title, content}` documents through the API and waits until each is ready; ids in order. */
async function addDocuments(token: string, assistantId: string, docs: { title: string; content: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const doc of docs) {
    const created = await call("POST", `/api/v1/assistants/${assistantId}/documents`, { token, body: doc });
    expect(created.status).toBe(202);
    ids.push(created.body.id as string);
  }
  for (const id of ids) await ready(token, id);
  return ids;
}

async function ready(token: string, id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.body.status === "ready") return;
    if (res.body.status === "failed" || Date.now() > deadline) throw new Error(`document ${id}: ${res.body.status} ${res.body.error}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function shop() {
  const s = await signUp("Learned");
  const token = s.access_token as string;
  const assistant = await createAssistant(token, { escalation_threshold: 0.2 });
  const [returns, battery, shipping] = await addDocuments(token, assistant.id, ARTICLES);
  return { s, token, assistantId: assistant.id, returns: returns!, battery: battery!, shipping: shipping! };
}

const search = async (token: string, assistantId: string, q: string, mode: string) => {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/search?${new URLSearchParams({ q, mode, k: "5" })}`, { token });
  expect(res.status).toBe(200);
  return res.body.data as { document_id: string; chunk_id: string; score: number }[];
};

const phrasingsOf = async (token: string, documentId: string, query = "") =>
  call("GET", `/api/v1/documents/${documentId}/phrasings${query}`, { token });

/** Rows the assistant's index holds in its phrasing tables, read from its own SQLite. */
async function phrasingRows(assistantId: string) {
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance: KnowledgeIndexDO, state) => {
    const one = (q: string) => state.storage.sql.exec<{ n: number }>(q).one().n;
    return { phrasings: one("SELECT count(*) AS n FROM phrasings"), vectors: one("SELECT count(*) AS n FROM phrasing_vectors") };
  });
}

/** The stored int8 vector of a phrasing, as bytes. */
async function phrasingVector(assistantId: string, phrasingId: string): Promise<number[]> {
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance: KnowledgeIndexDO, state) => {
    const row = state.storage.sql
      .exec<{ codes: ArrayBuffer }>("SELECT v.codes FROM phrasing_vectors v JOIN phrasings p ON p.seq = v.phrasing_seq WHERE p.id = ?", phrasingId)
      .toArray()[0];
    return row ? [...new Int8Array(row.codes)] : [];
  });
}

/** A web conversation of `assistantId` in which the visitor asked `questions`, one after the other. */
async function conversationAsking(token: string, assistantId: string, visitorId: string, questions: string[]) {
  const conv = await call("POST", "/api/v1/conversations", { token, body: { assistant_id: assistantId, visitor_id: visitorId, channel: "api" } });
  expect(conv.status).toBe(201);
  const id = conv.body.conversation_id as string;
  for (const content of questions) {
    const answer = await call("POST", `/api/v1/conversations/${id}/messages`, { token: conv.body.token, body: { content } });
    expect(answer.status).toBe(200);
  }
  return { id, visitorToken: conv.body.token as string };
}

describe("learned phrasings in retrieval", () => {
  it("lets a document rank for a wording that otherwise does not find it, and removing the phrasing undoes it", async () => {
    const { token, assistantId, returns, battery, shipping } = await shop();
    const before = { keyword: await search(token, assistantId, HELMET_QUESTION, "keyword"), hybrid: await search(token, assistantId, HELMET_QUESTION, "hybrid") };
    // No article shares a word with the question; the vectors' faint n-gram overlaps pick some first.
    expect(before.keyword).toEqual([]);
    const target = [returns, battery, shipping].find((id) => id !== before.hybrid[0]?.document_id)!;

    const added = await call("POST", `/api/v1/documents/${target}/phrasings`, { token, body: { text: "how do I swap a cracked helmet" } });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: expect.stringMatching(/^phr_/), document_id: target, text: "how do I swap a cracked helmet", conversation_id: null });
    expect(await phrasingRows(assistantId)).toEqual({ phrasings: 1, vectors: 1 });

    for (const mode of ["keyword", "hybrid", "vector"]) {
      const hits = await search(token, assistantId, HELMET_QUESTION, mode);
      expect(hits[0]?.document_id, mode).toBe(target);
      // The document is cited with its own chunk: a phrasing is evidence, never a result.
      expect(hits[0]?.chunk_id).toMatch(/^chk_/);
    }

    const removed = await call("DELETE", `/api/v1/documents/${target}/phrasings/${added.body.id}`, { token });
    expect(removed.status).toBe(204);
    expect((await phrasingsOf(token, target)).body.data).toEqual([]);
    expect(await phrasingRows(assistantId)).toEqual({ phrasings: 0, vectors: 0 });
    expect(await search(token, assistantId, HELMET_QUESTION, "keyword")).toEqual(before.keyword);
    expect(await search(token, assistantId, HELMET_QUESTION, "hybrid")).toEqual(before.hybrid);
  });

  it("scores a phrasing exactly as FTS5 scores a chunk whose only text is that phrasing as its title", async () => {
    const { assistantId } = await shop();
    const phrasing = "swap a cracked helmet, or return a cracked battery?";
    const question = "cracked helmet battery swap";
    const index = env.KNOWLEDGE_INDEX.getByName(assistantId);
    // The row FTS5 would score: the phrasing as a title, nothing else, among the index's chunks
    // (written in its own call, so FTS5's totals are stored when they are read below).
    await runInDurableObject(index, async (_instance: KnowledgeIndexDO, state) => {
      state.storage.sql.exec(
        "INSERT INTO chunks (id, document_id, ord, title, heading, content, content_hash, token_count) VALUES ('chk_probe000000000000', 'doc_probe000000000000', 0, ?, NULL, '', 'x', 1)",
        phrasing,
      );
    });
    await runInDurableObject(index, async (_instance: KnowledgeIndexDO, state) => {
      const sql = state.storage.sql;
      const terms = queryTerms(question);
      const weights = [8, 4, 1];
      const [fts] = sql
        .exec<{ rank: number }>(
          "SELECT bm25(chunks_fts, 8, 4, 1) AS rank FROM chunks_fts JOIN chunks c ON c.seq = chunks_fts.rowid WHERE chunks_fts MATCH ? AND c.id = 'chk_probe000000000000'",
          terms.map((t) => `"${t}"`).join(" OR "),
        )
        .toArray();
      const counts = new TermCounts();
      const { chunks, matching } = counts.read(sql, terms);
      const frequencies = terms.map((t) => (t === "cracked" ? 2 : ["swap", "helmet", "battery"].includes(t) ? 1 : 0));
      const score = phrasingKeywordScore(
        { phrasingId: "phr_probe", documentId: "doc_probe", length: 9, frequencies },
        matching.map((n) => fts5Idf(chunks, n)),
        weights[0]!,
        counts.averageChunkLength(sql),
      );
      expect(counts.averageChunkLength(sql)).toBeGreaterThan(9);
      expect(score).toBeCloseTo(-fts!.rank, 9);
      sql.exec("DELETE FROM chunks WHERE id = 'chk_probe000000000000'");
    });
  });

  it("reads each term's count in a phrasing stemmed, as the chunks' index matches it", async () => {
    const { token, assistantId, returns } = await shop();
    await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "Swapping helmets: can helmets be swapped?" } });
    const matches = await runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance: KnowledgeIndexDO, state) =>
      new PhrasingStore(state.storage.sql).matching(["swap", "helmet", "refund"], 10),
    );
    expect(matches).toEqual([{ phrasingId: expect.stringMatching(/^phr_/), documentId: returns, length: 6, frequencies: [2, 2, 0] }]);
  });

  it("keeps phrasings when the document is processed again, embeds them with its new text, and deletes them with the document", async () => {
    const { token, assistantId, returns } = await shop();
    const added = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "how do I swap a cracked helmet" } });
    expect(added.status).toBe(201);
    const first = await phrasingVector(assistantId, added.body.id);
    expect(first.length).toBeGreaterThan(0);
    expect((await call("POST", `/api/v1/documents/${returns}/reindex`, { token })).status).toBe(202);
    await ready(token, returns);
    expect((await phrasingsOf(token, returns)).body.data.map((p: { id: string }) => p.id)).toEqual([added.body.id]);
    expect(await phrasingVector(assistantId, added.body.id)).toEqual(first);
    expect((await search(token, assistantId, HELMET_QUESTION, "keyword"))[0]?.document_id).toBe(returns);

    // A new version of the article (same title): the phrasing stays, its vector follows the new text.
    const replaced = await call("POST", `/api/v1/assistants/${assistantId}/documents`, {
      token,
      body: { title: "Returns and refunds", content: "Return unused items within 60 days; damaged gear is exchanged for free." },
    });
    expect(replaced.body.id).toBe(returns);
    await ready(token, returns);
    expect((await phrasingsOf(token, returns)).body.data.map((p: { id: string }) => p.id)).toEqual([added.body.id]);
    const second = await phrasingVector(assistantId, added.body.id);
    expect(second.length).toBe(first.length);
    expect(second).not.toEqual(first);

    expect((await call("DELETE", `/api/v1/documents/${returns}`, { token })).status).toBe(204);
    expect(await phrasingRows(assistantId)).toEqual({ phrasings: 0, vectors: 0 });
    expect((await phrasingsOf(token, returns)).status).toBe(404);
    expect(await search(token, assistantId, HELMET_QUESTION, "keyword")).toEqual([]);
  });

  it("keeps the same text once per document and pages through a document's phrasings, newest first", async () => {
    const { token, returns } = await shop();
    const texts = ["swap a cracked helmet", "exchange a broken helmet", "helmet has a crack"];
    const ids: string[] = [];
    for (const text of texts) {
      const res = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text } });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
      await new Promise((r) => setTimeout(r, 5)); // distinct creation times
    }
    const again = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "  swap a   cracked helmet " } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(ids[0]);

    const first = await phrasingsOf(token, returns, "?limit=2");
    expect(first.status).toBe(200);
    expect(first.body.data.map((p: { id: string }) => p.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await phrasingsOf(token, returns, `?limit=2&cursor=${encodeURIComponent(first.body.next_cursor)}`);
    expect(second.body).toEqual({ data: [expect.objectContaining({ id: ids[0], text: "swap a cracked helmet" })], next_cursor: null });
  });
});

describe("learning a phrasing when a person resolves a conversation", () => {
  it("keeps the visitor's unanswered question as a phrasing of the article named, and retrieval then finds it", async () => {
    const { token, assistantId, returns } = await shop();
    const conv = await conversationAsking(token, assistantId, "visitor-helmet", [HELMET_QUESTION]);
    expect((await call("GET", `/api/v1/conversations/${conv.id}`, { token })).body.status).toBe("escalated");

    const resolved = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: returns } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({
      id: conv.id,
      status: "resolved",
      learned_phrasing: { id: expect.stringMatching(/^phr_/), document_id: returns, text: HELMET_QUESTION, conversation_id: conv.id },
    });
    expect((await phrasingsOf(token, returns)).body.data).toEqual([resolved.body.learned_phrasing]);
    expect((await search(token, assistantId, "my helmet is cracked, can I swap it", "keyword"))[0]?.document_id).toBe(returns);

    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token });
    expect(audit.body.data).toContainEqual(
      expect.objectContaining({ action: "phrasing.created", target_id: resolved.body.learned_phrasing.id, metadata: expect.objectContaining({ source: "resolution" }) }),
    );
  });

  it("learns the question asked before a request for a person, not the request", async () => {
    const { token, assistantId, battery } = await shop();
    const conv = await conversationAsking(token, assistantId, "visitor-helmet", ["Does the frame rattle when it is cold?", "Can I talk to a human please"]);
    const resolved = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: battery } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.learned_phrasing.text).toBe("Does the frame rattle when it is cold?");
  });

  it("teaches an article written for the occasion, the way an agent answers something new", async () => {
    const { token, assistantId } = await shop();
    const conv = await conversationAsking(token, assistantId, "visitor-helmet", [HELMET_QUESTION]);
    const [helmets] = await addDocuments(token, assistantId, [
      { title: "Damaged gear", content: "Anything that arrives damaged gets replaced free of charge: send us a photo of the damage." },
    ]);
    const resolved = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: helmets } });
    expect(resolved.status).toBe(200);
    expect(resolved.body.learned_phrasing).toMatchObject({ document_id: helmets, text: HELMET_QUESTION });
    for (const mode of ["keyword", "hybrid"]) expect((await search(token, assistantId, HELMET_QUESTION, mode))[0]?.document_id, mode).toBe(helmets);
  });

  it("resolves as before without a body, and refuses to learn for visitors, viewers and other assistants' documents", async () => {
    const { token, assistantId, returns } = await shop();
    const conv = await conversationAsking(token, assistantId, "visitor-helmet", [HELMET_QUESTION]);
    const viewer = await createSecretKey(token, "viewer");
    expect((await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token: conv.visitorToken, body: { document_id: returns } })).status).toBe(403);
    expect((await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token: viewer.key, body: { document_id: returns } })).status).toBe(403);

    const other = await createAssistant(token);
    const [elsewhere] = await addDocuments(token, other.id, [{ title: "Helmets", content: "Helmets are swapped for free." }]);
    const wrong = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: elsewhere } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: "invalid_request", details: { field: "document_id" } });
    const malformed = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: "returns" } });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe("invalid_request");
    expect((await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token, body: { document_id: "doc_AAAAAAAAAAAAAAAAAAAA" } })).status).toBe(404);
    expect((await call("GET", `/api/v1/conversations/${conv.id}`, { token })).body.status).toBe("escalated");
    expect((await phrasingsOf(token, returns)).body.data).toEqual([]);

    const plain = await call("POST", `/api/v1/conversations/${conv.id}/resolve`, { token: conv.visitorToken });
    expect(plain.status).toBe(200);
    expect(plain.body.status).toBe("resolved");
    expect(plain.body).not.toHaveProperty("learned_phrasing");
  });
});

describe("phrasings and the visitor's data", () => {
  it("exports a visitor's phrasings and erases them with the visitor, in every assistant of the workspace", async () => {
    const { token, assistantId, returns } = await shop();
    const other = await createAssistant(token);
    const [elsewhere] = await addDocuments(token, other.id, [{ title: "Helmets", content: "Helmets are swapped for free." }]);
    const here = await conversationAsking(token, assistantId, "visitor-erased", [HELMET_QUESTION]);
    const there = await conversationAsking(token, other.id, "visitor-erased", ["Do you sell chain oil?"]);
    const kept = await conversationAsking(token, assistantId, "visitor-kept", ["Does the rear rack take a child seat?"]);
    expect((await call("POST", `/api/v1/conversations/${here.id}/resolve`, { token, body: { document_id: returns } })).status).toBe(200);
    expect((await call("POST", `/api/v1/conversations/${there.id}/resolve`, { token, body: { document_id: elsewhere } })).status).toBe(200);
    expect((await call("POST", `/api/v1/conversations/${kept.id}/resolve`, { token, body: { document_id: returns } })).status).toBe(200);
    expect((await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "trade in an old saddle" } })).status).toBe(201);
    const named = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "helmet exchange", conversation_id: here.id } });
    expect(named.body.conversation_id).toBe(here.id);

    const exported = await call("GET", "/api/v1/visitors/visitor-erased/export", { token });
    expect(exported.status).toBe(200);
    expect(exported.body.phrasings.map((p: { text: string }) => p.text).sort()).toEqual(["Do you sell chain oil?", HELMET_QUESTION, "helmet exchange"].sort());

    const erased = await call("DELETE", "/api/v1/visitors/visitor-erased", { token });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ conversations: 2, phrasings: 3 });
    expect((await phrasingsOf(token, returns)).body.data.map((p: { text: string }) => p.text).sort()).toEqual(["Does the rear rack take a child seat?", "trade in an old saddle"]);
    expect((await phrasingsOf(token, elsewhere!)).body.data).toEqual([]);
    expect((await call("GET", "/api/v1/visitors/visitor-erased/export", { token })).body.phrasings).toEqual([]);
    expect((await search(token, assistantId, HELMET_QUESTION, "keyword")).map((h) => h.document_id)).not.toContain(returns);
  });
});

describe("phrasing vectors in Vectorize", () => {
  it("keeps them under their own ids in the assistant's namespace, finds them through one shared query, and removes them with their rows", async () => {
    const { token, assistantId, returns, s } = await shop();
    const double = new VectorizeDouble(4);
    const vectorize = createVectorStore({ VECTOR_INDEX: env.VECTOR_INDEX, VECTOR_STORE: "vectorize", VECTORIZE: double });
    const scope = { workspaceId: s.workspace.id as string, assistantId };
    await runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance: KnowledgeIndexDO, state) => {
      const index = new PhrasingIndex(new PhrasingStore(state.storage.sql), {
        vectorize: () => vectorize,
        quantize: (v) => quantizeInt8(v),
        transaction: (write) => state.storage.transactionSync(write),
      });
      const input = { documentId: returns, visitorId: "v1", conversationId: null, createdBy: "usr_test", vector: Float32Array.from([1, 0, 0, 0]) };
      const added = await index.add(scope, { ...input, id: "phr_vectorizeTest0001", text: "swap a cracked helmet" });
      expect(added).toMatchObject({ created: true, phrasing: { id: "phr_vectorizeTest0001" } });
      const stored = await double.getByIds(["phr_vectorizeTest0001"]);
      expect(stored).toEqual([
        expect.objectContaining({ id: "phr_vectorizeTest0001", namespace: assistantId, metadata: { document_id: returns, chunk_id: "phr_vectorizeTest0001", workspace_id: scope.workspaceId } }),
      ]);
      // Nothing of it in the object's own vectors: Vectorize holds them.
      expect(state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM phrasing_vectors").one().n).toBe(0);

      const queries = double.calls.filter((c) => c.method === "query").length;
      const ask = onePerSearch((store, q, limit) => store.query(assistantId, [...q], { topK: limit }));
      const near = await index.nearest(scope, [0.9, 0.1, 0, 0], 5, ask);
      expect(near).toEqual([{ phrasingId: "phr_vectorizeTest0001", documentId: returns, score: expect.any(Number) }]);
      expect(await ask(vectorize, [0.9, 0.1, 0, 0], 5)).toHaveLength(1); // the chunks' leg: the same answer, not a second query
      expect(double.calls.filter((c) => c.method === "query").length).toBe(queries + 1);

      await index.setVectors(scope, [{ id: "phr_vectorizeTest0001", vector: null }]);
      expect(await double.getByIds(["phr_vectorizeTest0001"])).toEqual([]);
      await index.setVectors(scope, [{ id: "phr_vectorizeTest0001", vector: Float32Array.from([0, 1, 0, 0]) }]);
      expect(await double.getByIds(["phr_vectorizeTest0001"])).toHaveLength(1);
      expect(await index.removeVisitor(scope, "v1")).toBe(1);
      expect(await double.getByIds(["phr_vectorizeTest0001"])).toEqual([]);
    });
    expect((await phrasingsOf(token, returns)).body.data).toEqual([]);
  });
});

describe("phrasings and the workspace", () => {
  it("are erased with a closed workspace, and documented in the OpenAPI document", async () => {
    const { s, token, assistantId, returns } = await shop();
    expect((await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "swap a cracked helmet" } })).status).toBe(201);
    const spec = await call("GET", "/api/v1/openapi.json");
    expect(Object.keys(spec.body.paths)).toEqual(expect.arrayContaining(["/api/v1/documents/{id}/phrasings", "/api/v1/documents/{id}/phrasings/{phrasing_id}"]));
    expect(spec.body.components.schemas).toHaveProperty("Phrasing");
    expect(spec.body.paths["/api/v1/conversations/{id}/resolve"].post.requestBody.content["application/json"].schema).toBeTruthy();

    const name = (await env.DB.prepare("select name from workspaces where id = ?").bind(s.workspace.id).first<{ name: string }>())!.name;
    expect((await call("DELETE", "/api/v1/workspace", { token, body: { confirm_name: name } })).status).toBe(204);
    expect((await eraseWorkspace(env, s.workspace.id)).complete).toBe(true);
    expect(await phrasingRows(assistantId)).toEqual({ phrasings: 0, vectors: 0 });
  });
});

describe("phrasings API: access and input", () => {
  it("lets viewers read, managers write, and shows another workspace nothing (404)", async () => {
    const { token, returns } = await shop();
    const added = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "swap a cracked helmet" } });
    const viewer = await createSecretKey(token, "viewer");
    const manager = await createSecretKey(token, "manager");
    expect((await phrasingsOf(viewer.key, returns)).body.data).toHaveLength(1);
    expect((await call("POST", `/api/v1/documents/${returns}/phrasings`, { token: viewer.key, body: { text: "x" } })).status).toBe(403);
    expect((await call("DELETE", `/api/v1/documents/${returns}/phrasings/${added.body.id}`, { token: viewer.key })).status).toBe(403);
    expect((await call("POST", `/api/v1/documents/${returns}/phrasings`, { token: manager.key, body: { text: "exchange a helmet" } })).status).toBe(201);

    const stranger = await signUp("Stranger");
    const strangerKey = await createSecretKey(stranger.access_token, "admin");
    for (const [method, path, body] of [
      ["GET", `/api/v1/documents/${returns}/phrasings`, undefined],
      ["POST", `/api/v1/documents/${returns}/phrasings`, { text: "mine now" }],
      ["DELETE", `/api/v1/documents/${returns}/phrasings/${added.body.id}`, undefined],
    ] as const) {
      const res = await call(method, path, { token: strangerKey.key, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
    expect((await phrasingsOf(token, returns)).body.data).toHaveLength(2);
  });

  it("answers bad input with 400 invalid_request", async () => {
    const { token, returns, battery } = await shop();
    const stranger = await signUp("Stranger");
    const strangerConv = await conversationAsking(stranger.access_token, (await createAssistant(stranger.access_token)).id, "v", ["hello"]);
    const bodies: unknown[] = [
      {},
      { text: "" },
      { text: "x".repeat(501) },
      { text: 42 },
      { text: "ok", extra: true },
      { text: "ok", conversation_id: "conv_nope" },
      { text: "ok", conversation_id: strangerConv.id },
      { text: " \u0000 \u200b " },
    ];
    for (const body of bodies) {
      const res = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    const added = await call("POST", `/api/v1/documents/${returns}/phrasings`, { token, body: { text: "swap a cracked helmet" } });
    for (const path of [
      `/api/v1/documents/${returns}/phrasings/not-an-id`,
      `/api/v1/documents/nope/phrasings/${added.body.id}`,
    ]) {
      const res = await call("DELETE", path, { token });
      expect(res.status, path).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    expect((await phrasingsOf(token, returns, "?limit=0")).status).toBe(400);
    expect((await phrasingsOf(token, returns, "?cursor=%%%")).status).toBe(400);
    // The right phrasing id under another document of the workspace: not that document's.
    expect((await call("DELETE", `/api/v1/documents/${battery}/phrasings/${added.body.id}`, { token })).status).toBe(404);
    expect((await phrasingsOf(token, returns)).body.data).toHaveLength(1);
  });
});
