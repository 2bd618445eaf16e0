import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import type { KnowledgeDocument } from "../../../schema/api";
import { ApiError, notFound } from "../http/errors";
import { toHex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { decodeCursor, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import { createDb, schema, type Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { removeAssistantIndex, removeDocumentIndex } from "./index-chunks";
import { detectType } from "./parsers/detect-type";
import { MAX_FILE_BYTES } from "./parsers/parse-document";
import { ParseError } from "./parsers/parse-error";

const { kb_documents } = schema;
type DocumentRow = typeof kb_documents.$inferSelect;

/** What the ingestion queue carries: one document to (re)process. */
export interface IngestJob {
  document_id: string;
  workspace_id: string;
  /** Same-site crawl limits when this URL document should follow links. */
  crawl?: CrawlState | undefined;
}

/** Where a page sits in a crawl: its depth from the start URL and the crawl's limits. */
export interface CrawlState {
  max_pages: number;
  max_depth: number;
  depth: number;
}

/** What a business uploads: a file, a manual entry, or a web page. */
export type DocumentInput =
  | { kind: "file"; filename: string; bytes: Uint8Array; title?: string | undefined }
  | { kind: "manual"; title: string; content: string }
  | { kind: "url"; url: string; title?: string | undefined; crawl?: { max_pages: number; max_depth: number; depth?: number } | undefined };

/** Public view of a document row. */
export function toDocument(row: DocumentRow): KnowledgeDocument {
  return {
    id: row.id,
    assistant_id: row.assistant_id,
    title: row.title,
    source_type: row.source_type,
    source_url: row.source_url,
    status: row.status,
    error: row.error,
    chunk_count: row.chunk_count,
    token_count: row.token_count,
    size_bytes: row.size_bytes,
    content_hash: row.content_hash,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Where a document's file lives in R2 (DESIGN.md's layout). */
export function documentPrefix(workspaceId: string, assistantId: string, documentId: string): string {
  return `ws/${workspaceId}/ast/${assistantId}/doc/${documentId}/`;
}

/** A file name safe to use as the last part of an R2 key: no paths, no odd characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const cleaned = base.replace(/[^\w.-]+/g, "_").replace(/^[._]+/, "").slice(-100);
  return cleaned || "file";
}

function titleFromFilename(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? name).replace(/\.[a-z0-9]{1,5}$/i, "");
  return base.replace(/[_-]+/g, " ").trim().slice(0, 300) || "Untitled";
}

const enc = new TextEncoder();

/**
 * Accepts a document for an assistant: checks it, stores the original in R2, records it as
 * `queued` and queues its ingestion. The same content again is a no-op (the existing document
 * is returned); new content under the same file name, title or URL replaces the old version.
 */
export async function acceptDocument(env: Env, workspaceId: string, assistantId: string, input: DocumentInput) {
  const db = createDb(env.DB);
  await getAssistant(db, workspaceId, assistantId);

  let bytes: Uint8Array | null = null;
  let sourceType: DocumentRow["source_type"];
  let title: string;
  let filename: string;
  let mime: string | null = null;
  if (input.kind === "file") {
    if (input.bytes.byteLength > MAX_FILE_BYTES) {
      throw new ApiError("payload_too_large", `files are limited to ${MAX_FILE_BYTES / 1024 / 1024} MB`, { limit_bytes: MAX_FILE_BYTES });
    }
    try {
      sourceType = detectType(input.bytes, input.filename).type;
    } catch (err) {
      if (err instanceof ParseError) {
        throw new ApiError(err.code === "empty" ? "invalid_request" : "unsupported_media_type", err.message, { reason: err.code });
      }
      throw err;
    }
    bytes = input.bytes;
    filename = safeFilename(input.filename);
    title = input.title?.trim() || titleFromFilename(input.filename);
    mime = { pdf: "application/pdf", docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", html: "text/html", markdown: "text/markdown", text: "text/plain" }[sourceType];
  } else if (input.kind === "manual") {
    bytes = enc.encode(input.content);
    sourceType = "manual";
    title = input.title;
    filename = "content.md";
    mime = "text/markdown";
  } else {
    sourceType = "url";
    title = input.title?.trim() || input.url;
    filename = "page";
  }

  const contentHash = bytes ? await sha256Bytes(bytes) : null;
  const live = and(eq(kb_documents.workspace_id, workspaceId), eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at));
  if (contentHash) {
    const same = await db.select().from(kb_documents).where(and(live, eq(kb_documents.content_hash, contentHash))).get();
    if (same && same.status !== "failed") return { document: same, duplicate: true };
  }
  const previous =
    input.kind === "url"
      ? await db.select().from(kb_documents).where(and(live, eq(kb_documents.source_url, input.url))).get()
      : await db.select().from(kb_documents).where(and(live, eq(kb_documents.title, title), eq(kb_documents.source_type, sourceType))).get();

  const id = previous?.id ?? newId("document");
  const r2Key = bytes ? documentPrefix(workspaceId, assistantId, id) + filename : null;
  if (bytes && r2Key) {
    await env.FILES.put(r2Key, bytes, { httpMetadata: mime ? { contentType: mime } : undefined, customMetadata: { workspace_id: workspaceId } });
  }
  const now = nowIso();
  const fields = {
    title,
    source_type: sourceType,
    source_url: input.kind === "url" ? input.url : null,
    r2_key: r2Key,
    mime_type: mime,
    size_bytes: bytes?.byteLength ?? 0,
    status: "queued" as const,
    error: null,
    // Files and manual entries are deduplicated by their bytes; a URL's hash is its text's, set by ingestion.
    content_hash: contentHash,
    updated_at: now,
  };
  const document = previous
    ? (await db.update(kb_documents).set(fields).where(eq(kb_documents.id, id)).returning().get())!
    : (await db.insert(kb_documents).values({ id, workspace_id: workspaceId, assistant_id: assistantId, ...fields }).returning().get())!;
  const job: IngestJob = {
    document_id: id,
    workspace_id: workspaceId,
    crawl:
      input.kind === "url" && input.crawl
        ? { max_pages: input.crawl.max_pages, max_depth: input.crawl.max_depth, depth: input.crawl.depth ?? 0 }
        : undefined,
  };
  await env.INGEST_QUEUE.send(job, { contentType: "json" });
  return { document, duplicate: false };
}

async function sha256Bytes(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** A live document of the workspace, or 404. */
export async function getDocument(db: Db, workspaceId: string, id: string): Promise<DocumentRow> {
  const row = await db
    .select()
    .from(kb_documents)
    .where(and(eq(kb_documents.id, id), eq(kb_documents.workspace_id, workspaceId), isNull(kb_documents.deleted_at)))
    .get();
  if (!row) throw notFound("document");
  return row;
}

/** One page of an assistant's documents, newest first. */
export async function listDocuments(db: Db, workspaceId: string, assistantId: string, limit: number, cursor?: string) {
  await getAssistant(db, workspaceId, assistantId);
  const after = decodeCursor(cursor);
  const rows = await db
    .select()
    .from(kb_documents)
    .where(
      and(
        eq(kb_documents.workspace_id, workspaceId),
        eq(kb_documents.assistant_id, assistantId),
        isNull(kb_documents.deleted_at),
        after ? or(lt(kb_documents.created_at, after.t), and(eq(kb_documents.created_at, after.t), lt(kb_documents.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(kb_documents.created_at), desc(kb_documents.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

/** Queues a document for processing again (after a fix, or to pick up a changed page). */
export async function reindexDocument(env: Env, workspaceId: string, id: string): Promise<DocumentRow> {
  const db = createDb(env.DB);
  await getDocument(db, workspaceId, id);
  const row = (await db
    .update(kb_documents)
    .set({ status: "queued", error: null, updated_at: nowIso() })
    .where(eq(kb_documents.id, id))
    .returning()
    .get())!;
  await env.INGEST_QUEUE.send({ document_id: id, workspace_id: workspaceId } satisfies IngestJob, { contentType: "json" });
  return row;
}

/** Removes every R2 object under `prefix`. */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<number> {
  let removed = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor });
    const keys = page.objects.map((o) => o.key);
    if (keys.length > 0) await bucket.delete(keys);
    removed += keys.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return removed;
}

/** Deletes a document: its file in R2, its chunks, vectors and keyword index entries. */
export async function deleteDocument(env: Env, workspaceId: string, id: string): Promise<void> {
  const db = createDb(env.DB);
  const doc = await getDocument(db, workspaceId, id);
  await removeDocumentIndex(env, doc.workspace_id, doc.assistant_id, doc.id);
  await deletePrefix(env.FILES, documentPrefix(doc.workspace_id, doc.assistant_id, doc.id));
  const now = nowIso();
  await db.update(kb_documents).set({ deleted_at: now, updated_at: now, chunk_count: 0, token_count: 0 }).where(eq(kb_documents.id, id)).run();
}

/** Removes all of an assistant's knowledge: files, chunks, keyword rows, vectors; documents marked deleted. */
export async function deleteAssistantKnowledge(env: Env, workspaceId: string, assistantId: string): Promise<void> {
  await removeAssistantIndex(env, workspaceId, assistantId);
  await deletePrefix(env.FILES, `ws/${workspaceId}/ast/${assistantId}/`);
  const now = nowIso();
  await createDb(env.DB)
    .update(kb_documents)
    .set({ deleted_at: now, updated_at: now, chunk_count: 0, token_count: 0 })
    .where(and(eq(kb_documents.workspace_id, workspaceId), eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at)))
    .run();
}
