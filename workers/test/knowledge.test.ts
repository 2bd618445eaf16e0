import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { consumeIngest, consumeIngestDeadLetters } from "../src/knowledge/ingest";
import type { IngestJob } from "../src/knowledge/documents";
import {
  buildDocx,
  buildPdf,
  deflateRepeated,
  docxParagraph,
  docxTable,
  rawZip,
  windowsExecutableBytes,
} from "./document-fixtures";
import { call, createAssistant, signUp } from "./helpers";
import { indexRowCounts, indexedChunkIds } from "./knowledge-index-helpers";

/** Uploads a file as multipart, like a browser form. */
async function upload(token: string, assistantId: string, name: string, bytes: Uint8Array, type = "application/octet-stream") {
  const form = new FormData();
  form.append("file", new File([bytes], name, { type }));
  const res = await exports.default.fetch(
    new Request(`http://api.test/api/v1/assistants/${assistantId}/documents`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
      body: form,
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** Polls a document until it leaves queued/processing (the queue consumer runs in the background). */
async function settled(token: string, id: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call("GET", `/api/v1/documents/${id}`, { token });
    if (res.status !== 200) throw new Error(`document ${id}: ${res.status}`);
    if (res.body.status === "ready" || res.body.status === "failed") return res.body;
    if (Date.now() > deadline) throw new Error(`document ${id} still ${res.body.status}: ${res.body.error}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

async function setup() {
  const s = await signUp("Kb");
  const assistant = await createAssistant(s.access_token, { escalation_threshold: 0.2 });
  return { s, assistant, token: s.access_token as string };
}

const search = (token: string, assistantId: string, q: string, extra = "") =>
  call("GET", `/api/v1/assistants/${assistantId}/search?q=${encodeURIComponent(q)}${extra}`, { token });

describe("knowledge base: upload → queue → ready → searchable → cited → deleted", () => {
  it("runs a manual document through the whole life cycle", async () => {
    const { s, assistant, token } = await setup();
    const created = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, {
      token,
      body: {
        title: "Warranty",
        content: "# Warranty\n\nEvery e-bike frame carries a lifetime warranty. Batteries and motors are covered for two years from the date of purchase.",
      },
    });
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^doc_/), status: "queued", duplicate: false });
    const doc = await settled(token, created.body.id);
    expect(doc).toMatchObject({ status: "ready", source_type: "manual", chunk_count: 1, error: null });
    expect(doc.token_count).toBeGreaterThan(10);

    const hits = await search(token, assistant.id, "how long is the battery warranty");
    expect(hits.status).toBe(200);
    expect(hits.body.data[0]).toMatchObject({ document_id: doc.id, title: "Warranty" });
    expect(hits.body.data[0].content).toMatch(/two years/);

    const conv = await call("POST", "/api/v1/conversations", {
      token,
      body: { assistant_id: assistant.id, visitor_id: "v1", channel: "api" },
    });
    const answer = await call("POST", `/api/v1/conversations/${conv.body.conversation_id}/messages`, {
      token,
      body: { content: "How long are batteries covered by the warranty?" },
    });
    expect(answer.body.message.content).toMatch(/two years/);
    expect(answer.body.message.sources[0]).toMatchObject({ document_id: doc.id, title: "Warranty" });

    const listed = await call("GET", `/api/v1/assistants/${assistant.id}/documents`, { token });
    expect(listed.body.data.map((d: { id: string }) => d.id)).toEqual([doc.id]);

    const r2Before = await env.FILES.list({ prefix: `ws/${s.workspace.id}/ast/${assistant.id}/doc/${doc.id}/` });
    expect(r2Before.objects.length).toBe(1);
    expect(await indexedChunkIds(assistant.id, doc.id)).toHaveLength(1);
    expect(await indexRowCounts(assistant.id, "warranty")).toEqual({ chunks: 1, fts: 1, vectors: 1 });

    expect((await call("DELETE", `/api/v1/documents/${doc.id}`, { token })).status).toBe(204);
    expect((await call("GET", `/api/v1/documents/${doc.id}`, { token })).status).toBe(404);
    expect((await search(token, assistant.id, "battery warranty")).body.data).toEqual([]);
    const r2After = await env.FILES.list({ prefix: `ws/${s.workspace.id}/ast/${assistant.id}/doc/${doc.id}/` });
    expect(r2After.objects).toEqual([]);
    expect(await indexRowCounts(assistant.id, "warranty")).toEqual({ chunks: 0, fts: 0, vectors: 0 });
    expect((await search(token, assistant.id, "battery warranty two years", "&mode=vector")).body.data).toEqual([]);
  });

  it("ingests a real PDF with headings, a table and non-ASCII text", async () => {
    const { assistant, token } = await setup();
    const pdf = buildPdf(
      [
        [
          { text: "Returns Guide", x: 72, y: 740, size: 20, font: "bold" },
          { text: "Bikes can be returned within 30 days for a full refund.", x: 72, y: 700, size: 11 },
          { text: "Plan  Price  Riders", x: 72, y: 670, size: 11 },
          { text: "Basic  10 €  1", x: 72, y: 655, size: 11 },
          { text: "Café owners in Zürich get free pickup.", x: 72, y: 630, size: 11 },
        ],
      ],
      { title: "Returns Guide" },
    );
    const res = await upload(token, assistant.id, "returns.pdf", pdf, "application/pdf");
    expect(res.status).toBe(202);
    const doc = await settled(token, res.body.id);
    expect(doc).toMatchObject({ status: "ready", source_type: "pdf" });
    expect(doc.chunk_count).toBeGreaterThan(0);
    const hits = await search(token, assistant.id, "free pickup Zürich");
    expect(hits.body.data[0].content).toMatch(/Zürich/);
  });

  it("ingests a DOCX with headings, a table and non-ASCII text", async () => {
    const { assistant, token } = await setup();
    const docx = buildDocx(
      [
        docxParagraph("Garantie", "Heading1"),
        docxParagraph("Der Rahmen hat eine lebenslange Garantie. Akkus sind zwei Jahre abgedeckt."),
        docxParagraph("Preise", "Heading2"),
        docxTable([
          ["Plan", "Preis"],
          ["Basis", "10 €"],
        ]),
      ].join(""),
      { title: "Handbuch" },
    );
    const res = await upload(token, assistant.id, "handbuch.docx", docx);
    const doc = await settled(token, res.body.id);
    expect(doc).toMatchObject({ status: "ready", source_type: "docx" });
    const hits = await search(token, assistant.id, "Akkus Garantie");
    expect(hits.body.data[0].content).toMatch(/zwei Jahre/);
  });

  it("fails a corrupt PDF with a readable reason, without stopping other documents", async () => {
    const { assistant, token } = await setup();
    const corrupt = strToU8("%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ngarbage garbage\n%%EOF");
    const bad = await upload(token, assistant.id, "broken.pdf", corrupt, "application/pdf");
    const good = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title: "Hours", content: "We are open Monday to Friday, 9 to 5." } });
    const failed = await settled(token, bad.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/PDF/i);
    expect((await settled(token, good.body.id)).status).toBe("ready");
  });

  it("fails a DOCX zip bomb quickly", async () => {
    const { assistant, token } = await setup();
    const compressed = deflateRepeated(200 * 1024 * 1024, 0x41);
    const bomb = rawZip([
      { name: "[Content_Types].xml", data: strToU8("<Types/>"), method: 0, declaredSize: 8 },
      { name: "word/document.xml", data: compressed, method: 8, declaredSize: 200 * 1024 * 1024 },
    ]);
    const res = await upload(token, assistant.id, "bomb.docx", bomb);
    expect(res.status).toBe(202);
    const doc = await settled(token, res.body.id);
    expect(doc.status).toBe("failed");
    expect(doc.error).toMatch(/200 MB uncompressed; the limit is 20 MB/);
  });

  it("refuses a renamed executable, an empty file and a 26 MB file at upload", async () => {
    const { assistant, token } = await setup();
    const exe = await upload(token, assistant.id, "guide.pdf", windowsExecutableBytes());
    expect(exe.status).toBe(415);
    expect(exe.body.error.code).toBe("unsupported_media_type");
    expect(exe.body.error.message).toMatch(/program/i);
    const empty = await upload(token, assistant.id, "empty.txt", new Uint8Array());
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/empty/i);
    const huge = await upload(token, assistant.id, "huge.txt", new Uint8Array(26 * 1024 * 1024).fill(0x61));
    expect(huge.status).toBe(413);
    const docs = await call("GET", `/api/v1/assistants/${assistant.id}/documents`, { token });
    expect(docs.body.data).toEqual([]);
  });

  it("treats the same content as a no-op and changed content as a replacement", async () => {
    const { assistant, token } = await setup();
    const first = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title: "Hours", content: "Open Monday to Friday, 9 to 5." } });
    await settled(token, first.body.id);
    const again = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title: "Hours", content: "Open Monday to Friday, 9 to 5." } });
    expect(again.body).toMatchObject({ id: first.body.id, duplicate: true });
    const changed = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title: "Hours", content: "Open every day from 8 to 8, including Sundays." } });
    expect(changed.body).toMatchObject({ id: first.body.id, duplicate: false });
    await settled(token, first.body.id);
    expect((await search(token, assistant.id, "Sundays")).body.data).toHaveLength(1);
    expect((await search(token, assistant.id, "Friday", "&mode=keyword")).body.data).toEqual([]);
    expect(await indexedChunkIds(assistant.id, first.body.id)).toHaveLength(1);
  });

  it("keeps two workspaces' knowledge apart", async () => {
    const a = await setup();
    const b = await setup();
    const da = await call("POST", `/api/v1/assistants/${a.assistant.id}/documents`, { token: a.token, body: { title: "Secret A", content: "The alpha launch code is pineapple." } });
    const db = await call("POST", `/api/v1/assistants/${b.assistant.id}/documents`, { token: b.token, body: { title: "Secret B", content: "The beta launch code is pineapple too." } });
    await settled(a.token, da.body.id);
    await settled(b.token, db.body.id);
    for (const mode of ["hybrid", "keyword", "vector"]) {
      const hits = await search(a.token, a.assistant.id, "launch code pineapple", `&mode=${mode}`);
      expect(hits.body.data.map((h: { title: string }) => h.title), mode).toEqual(["Secret A"]);
    }
    expect((await search(a.token, b.assistant.id, "pineapple")).status).toBe(404);
    expect((await call("GET", `/api/v1/documents/${db.body.id}`, { token: a.token })).status).toBe(404);
    expect((await call("DELETE", `/api/v1/documents/${db.body.id}`, { token: a.token })).status).toBe(404);
  });

  it("removes all of an assistant's knowledge when the assistant is deleted", async () => {
    const { s, assistant, token } = await setup();
    const d = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { title: "Hours", content: "Open Monday to Friday." } });
    await settled(token, d.body.id);
    expect((await call("DELETE", `/api/v1/assistants/${assistant.id}`, { token })).status).toBe(204);
    expect(await indexRowCounts(assistant.id)).toEqual({ chunks: 0, fts: 0, vectors: 0 });
    const objects = await env.FILES.list({ prefix: `ws/${s.workspace.id}/ast/${assistant.id}/` });
    expect(objects.objects).toEqual([]);
    const docs = await env.DB.prepare("select count(*) as n from kb_documents where assistant_id = ? and deleted_at is null").bind(assistant.id).first<{ n: number }>();
    expect(docs?.n).toBe(0);
  });
});

describe("ingestion queue", () => {
  it("retries a transient failure with backoff, and the dead-letter queue fails the document", async () => {
    const { s, assistant, token } = await setup();
    // Nothing listens on port 9 here: the fetch fails, which is worth retrying.
    const created = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token, body: { url: "http://127.0.0.1:9/help" } });
    expect(created.status).toBe(202);
    const job: IngestJob = { document_id: created.body.id, workspace_id: s.workspace.id };
    const batch = createMessageBatch<IngestJob>("edgedesk-ingest", [{ id: "m1", timestamp: new Date(), attempts: 2, body: job }]);
    const ctx = createExecutionContext();
    await consumeIngest(batch, env);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages).toHaveLength(1);
    expect(result.explicitAcks).toEqual([]);
    const retrying = await call("GET", `/api/v1/documents/${created.body.id}`, { token });
    expect(retrying.body).toMatchObject({ status: "queued", error: expect.stringMatching(/^retrying: could not reach/) });

    const dlq = createMessageBatch<IngestJob>("edgedesk-ingest-dlq", [{ id: "m1", timestamp: new Date(), attempts: 1, body: job }]);
    await consumeIngestDeadLetters(dlq, env);
    const failed = await call("GET", `/api/v1/documents/${created.body.id}`, { token });
    expect(failed.body).toMatchObject({ status: "failed", error: expect.stringMatching(/after several attempts: could not reach/) });
  });
});
