import { and, desc, eq, isNull } from "drizzle-orm";
import type { KnowledgeDocument } from "../../../schema/api";
import { ApiError, notFound } from "../lib/errors";
import { toHex } from "../lib/crypto";
import { outboundPolicy, outboundRefusal } from "../lib/network-policy";
import { newId } from "../lib/ids";
import { olderThan, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import { createDb, schema, type Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { assertCanAddDocument, documentLimitReached } from "../billing/limits";
import { normalizeUrl } from "./crawler";
import { removeAssistantIndex, removeDocumentIndex } from "./index-chunks";
import { detectType } from "./parsers/detect-type";
import { MAX_FILE_BYTES } from "./parsers/parse-document";
import { ParseError } from "./parsers/parse-error";
import { workspacePlace } from "../storage/data-region";
import { withTraceparent } from "../lib/trace-context";

const { kb_documents, notion_sources } = schema;
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
  /**
   * When the crawl began (ISO). A page of the site queued or fetched since then belongs to this
   * crawl: it is not queued again, and it counts towards `max_pages`. Jobs queued before crawls
   * carried it lack it; the document's queue time stands in.
   */
  started_at?: string | undefined;
}

/** What the ingestion queue carries to sync a Notion source: list its pages, queue those that changed. */
export interface NotionSyncJob {
  notion_source_id: string;
  workspace_id: string;
}

/** Any message of the ingestion queue. */
export type IngestMessage = IngestJob | NotionSyncJob;

/** What a business uploads: a file, a manual entry, or a web page. */
export type DocumentInput =
  | { kind: "file"; filename: string; bytes: Uint8Array; title?: string | undefined }
  | { kind: "manual"; title: string; content: string }
  | { kind: "url"; url: string; title?: string | undefined; crawl?: { max_pages: number; max_depth: number } | undefined };

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
  let sourceUrl: string | null = null;
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
    // `…/faq` and `…/faq#returns` are one page, so one document.
    sourceUrl = normalizeUrl(input.url);
    if (!sourceUrl) throw new ApiError("invalid_request", "`url` must be an http or https address", { field: "url" });
    const refusal = outboundRefusal(new URL(sourceUrl), outboundPolicy(env));
    if (refusal) throw new ApiError("invalid_request", `\`url\` cannot be imported: ${refusal}`, { field: "url", reason: "blocked_destination" });
    sourceType = "url";
    title = input.title?.trim() || sourceUrl;
    filename = "page";
  }

  const contentHash = bytes ? await sha256Bytes(bytes) : null;
  const live = and(eq(kb_documents.workspace_id, workspaceId), eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at));
  if (contentHash) {
    const same = await db.select().from(kb_documents).where(and(live, eq(kb_documents.content_hash, contentHash))).get();
    if (same && same.status !== "failed") return { document: same, duplicate: true };
  }
  const previous = sourceUrl
    ? await db.select().from(kb_documents).where(and(live, eq(kb_documents.source_url, sourceUrl))).get()
    : await db.select().from(kb_documents).where(and(live, eq(kb_documents.title, title), eq(kb_documents.source_type, sourceType))).get();

  // A new document counts against the plan's document limit; a new version of one does not.
  if (!previous) await assertCanAddDocument(env, workspaceId);
  const id = previous?.id ?? newId("document");
  const r2Key = bytes ? documentPrefix(workspaceId, assistantId, id) + filename : null;
  if (bytes && r2Key) {
    await (await workspacePlace(env, workspaceId)).files.put(r2Key, bytes, { httpMetadata: mime ? { contentType: mime } : undefined, customMetadata: { workspace_id: workspaceId } });
  }
  const now = nowIso();
  const fields = {
    title,
    source_type: sourceType,
    source_url: sourceUrl,
    r2_key: r2Key,
    mime_type: mime,
    size_bytes: bytes?.byteLength ?? 0,
    status: "queued" as const,
    error: null,
    // Files and manual entries are deduplicated by their bytes. A URL's hash is its text's, set by
    // ingestion and kept here so fetching an unchanged page again re-indexes nothing.
    content_hash: sourceUrl ? (previous?.content_hash ?? null) : contentHash,
    updated_at: now,
  };
  const document = previous
    ? (await db.update(kb_documents).set(fields).where(eq(kb_documents.id, id)).returning().get())!
    : (await db.insert(kb_documents).values({ id, workspace_id: workspaceId, assistant_id: assistantId, ...fields }).returning().get())!;
  const job: IngestJob = {
    document_id: id,
    workspace_id: workspaceId,
    // The start of a crawl; its `updated_at` is `now`, so it is the crawl's first page.
    crawl: input.kind === "url" && input.crawl ? { max_pages: input.crawl.max_pages, max_depth: input.crawl.max_depth, depth: 0, started_at: now } : undefined,
  };
  await env.INGEST_QUEUE.send(withTraceparent(job), { contentType: "json" });
  return { document, duplicate: false };
}

async function sha256Bytes(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
}

/** What became of a page a crawl found: queued, already part of this crawl, or over `max_pages`. */
export type CrawledPageOutcome = "queued" | "seen" | "full";

/**
 * Queues a page found by a crawl (a link or a sitemap entry on the crawl's site `origin`) as a URL
 * document of the assistant: a new document, or the existing one for that URL to be fetched
 * again. Each statement checks the crawl's page count and whether the page is already part of the
 * crawl in the same write, so crawl jobs running side by side neither exceed `max_pages` nor queue
 * a page twice.
 */
export async function queueCrawledPage(
  env: Env,
  workspaceId: string,
  assistantId: string,
  url: string,
  origin: string,
  crawl: CrawlState & { started_at: string },
): Promise<CrawledPageOutcome> {
  const now = nowIso();
  // Pages of the site queued or fetched since the crawl began, compared as text: ISO times sort.
  const crawlPages = `(select count(*) from kb_documents c
      where c.assistant_id = ?1 and c.deleted_at is null and substr(c.source_url, 1, length(?2)) = ?2 and c.updated_at >= ?3)`;
  const siteRoot = `${origin}/`;
  const existing = await env.DB.prepare("select id, updated_at from kb_documents where assistant_id = ? and source_url = ? and deleted_at is null")
    .bind(assistantId, url)
    .first<{ id: string; updated_at: string }>();
  let id: string;
  let changes: number;
  if (existing) {
    if (existing.updated_at >= crawl.started_at) return "seen";
    id = existing.id;
    // Like posting the URL again: queued, its title until the page names itself, its text hash kept.
    const res = await env.DB.prepare(
      `update kb_documents set status = 'queued', error = null, title = ?5, updated_at = ?6
       where id = ?7 and workspace_id = ?8 and deleted_at is null and updated_at < ?3 and ${crawlPages} < ?4`,
    )
      .bind(assistantId, siteRoot, crawl.started_at, crawl.max_pages, url, now, id, workspaceId)
      .run();
    changes = res.meta.changes;
  } else {
    // A crawl stops at the plan's document limit like at its own `max_pages`.
    if (await documentLimitReached(env, workspaceId)) return "full";
    id = newId("document");
    // Only for a live assistant of the workspace: a crawl stops when its assistant is deleted.
    const res = await env.DB.prepare(
      `insert into kb_documents (id, workspace_id, assistant_id, title, source_type, source_url, status, created_at, updated_at)
       select ?7, ?8, ?1, ?5, 'url', ?5, 'queued', ?6, ?6
       where exists (select 1 from assistants where id = ?1 and workspace_id = ?8 and deleted_at is null)
         and not exists (select 1 from kb_documents d where d.assistant_id = ?1 and d.source_url = ?5 and d.deleted_at is null)
         and ${crawlPages} < ?4`,
    )
      .bind(assistantId, siteRoot, crawl.started_at, crawl.max_pages, url, now, id, workspaceId)
      .run();
    changes = res.meta.changes;
  }
  if (changes === 0) {
    // Another job took the page or the last free place first.
    const taken = await env.DB.prepare(`select ${crawlPages} as n`).bind(assistantId, siteRoot, crawl.started_at).first<{ n: number }>();
    return (taken?.n ?? 0) >= crawl.max_pages ? "full" : "seen";
  }
  await env.INGEST_QUEUE.send(withTraceparent({ document_id: id, workspace_id: workspaceId, crawl } satisfies IngestJob), { contentType: "json" });
  return "queued";
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
  const rows = await db
    .select()
    .from(kb_documents)
    .where(
      and(
        eq(kb_documents.workspace_id, workspaceId),
        eq(kb_documents.assistant_id, assistantId),
        isNull(kb_documents.deleted_at),
        olderThan(kb_documents.created_at, kb_documents.id, cursor),
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
  await env.INGEST_QUEUE.send(withTraceparent({ document_id: id, workspace_id: workspaceId } satisfies IngestJob), { contentType: "json" });
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
  await deletePrefix((await workspacePlace(env, doc.workspace_id)).files, documentPrefix(doc.workspace_id, doc.assistant_id, doc.id));
  const now = nowIso();
  await db.update(kb_documents).set({ deleted_at: now, updated_at: now, chunk_count: 0, token_count: 0 }).where(eq(kb_documents.id, id)).run();
}

/** Removes all of an assistant's knowledge: files, chunks, keyword rows, vectors; documents and Notion sources marked deleted. */
export async function deleteAssistantKnowledge(env: Env, workspaceId: string, assistantId: string): Promise<void> {
  await removeAssistantIndex(env, workspaceId, assistantId);
  await deletePrefix((await workspacePlace(env, workspaceId)).files, `ws/${workspaceId}/ast/${assistantId}/`);
  const now = nowIso();
  const db = createDb(env.DB);
  // Its Notion sources go with it, so no sync adds pages to a deleted assistant.
  await db
    .update(notion_sources)
    .set({ deleted_at: now, updated_at: now })
    .where(and(eq(notion_sources.workspace_id, workspaceId), eq(notion_sources.assistant_id, assistantId), isNull(notion_sources.deleted_at)))
    .run();
  await db
    .update(kb_documents)
    .set({ deleted_at: now, updated_at: now, chunk_count: 0, token_count: 0 })
    .where(and(eq(kb_documents.workspace_id, workspaceId), eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at)))
    .run();
}
