/**
 * Notion pages and databases an assistant keeps in sync. Adding one, or asking for a re-sync,
 * queues a sync job; the ingestion queue runs it (`syncNotionSource`): it lists the source's
 * pages (a page source: the page and its sub-pages at every level; a database: its pages),
 * queues a `notion` document for each page new or edited since it was indexed (a page whose
 * `last_edited_time` is unchanged is neither fetched nor embedded again), and removes the
 * documents of pages that were deleted, trashed or are no longer shared with the integration.
 */
import { extractNotionId } from "@notionhq/client";
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { NotionSource } from "../../../../schema/api";
import { documentLimitReached } from "../../billing/limits";
import { integrationCredentials } from "../../auth/integration-secrets";
import { chunked } from "../../lib/chunked";
import { ApiError, notFound } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { nowIso } from "../../lib/time";
import { createDb, schema, type Db } from "../../storage/db";
import { getAssistant } from "../../tenancy/assistants";
import { deleteDocument, type IngestJob, type NotionSyncJob } from "../documents";
import { notionReaderFor, type NotionPageRef } from "./client";

const { kb_documents, notion_sources } = schema;
type SourceRow = typeof notion_sources.$inferSelect;
type DocumentRow = typeof kb_documents.$inferSelect;

/** Messages one `sendBatch` may carry (Queues' limit). */
const QUEUE_BATCH = 100;
/** Sources the scheduled re-sync queues per run; the next run continues a larger backlog. */
const RESYNC_PER_RUN = 50;
/** Hours between scheduled re-syncs of a source, unless `NOTION_RESYNC_HOURS` says otherwise ("off" stops them). */
const DEFAULT_RESYNC_HOURS = 6;

/** What `POST /assistants/:id/notion-sources` asks for. */
export interface NotionSourceInput {
  page_ids?: string[] | undefined;
  database_id?: string | undefined;
}

async function documentCounts(db: Db, sourceIds: string[]): Promise<Map<string, NotionSource["documents"]>> {
  const counts = new Map<string, NotionSource["documents"]>();
  if (sourceIds.length === 0) return counts;
  const rows = await db
    .select({ source: kb_documents.notion_source_id, status: kb_documents.status, n: sql<number>`count(*)` })
    .from(kb_documents)
    .where(and(inArray(kb_documents.notion_source_id, sourceIds), isNull(kb_documents.deleted_at)))
    .groupBy(kb_documents.notion_source_id, kb_documents.status)
    .all();
  for (const row of rows) {
    if (!row.source) continue;
    const c = counts.get(row.source) ?? { ready: 0, pending: 0, failed: 0 };
    if (row.status === "ready") c.ready += row.n;
    else if (row.status === "failed") c.failed += row.n;
    else c.pending += row.n;
    counts.set(row.source, c);
  }
  return counts;
}

function toSource(row: SourceRow, documents: NotionSource["documents"] | undefined): NotionSource {
  return {
    id: row.id,
    assistant_id: row.assistant_id,
    kind: row.kind,
    notion_id: row.notion_id,
    title: row.title,
    url: row.url,
    status: row.status,
    error: row.error,
    page_count: row.page_count,
    documents: documents ?? { ready: 0, pending: 0, failed: 0 },
    last_synced_at: row.last_synced_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** The API view of sources, with their documents counted. */
async function present(db: Db, rows: SourceRow[]): Promise<NotionSource[]> {
  const counts = await documentCounts(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toSource(r, counts.get(r.id)));
}

/** Notion's dashed id of a page or database given as an id or a link; 400 otherwise. */
function notionIdOf(value: string, field: string): string {
  const id = extractNotionId(value);
  if (!id) throw new ApiError("invalid_request", `\`${field}\` is not a Notion id or link`, { field });
  return id;
}

async function queueSyncs(env: Env, sources: { id: string; workspace_id: string }[]): Promise<void> {
  for (const part of chunked(sources, QUEUE_BATCH)) {
    await env.INGEST_QUEUE.sendBatch(part.map((s) => ({ body: { notion_source_id: s.id, workspace_id: s.workspace_id } satisfies NotionSyncJob, contentType: "json" as const })));
  }
}

/**
 * Adds pages and/or a database to an assistant and queues their first sync. A page or database
 * the assistant already has is synced again rather than added twice. Needs a connected Notion
 * integration (409 otherwise).
 */
export async function addNotionSources(env: Env, workspaceId: string, assistantId: string, input: NotionSourceInput): Promise<NotionSource[]> {
  const db = createDb(env.DB);
  await getAssistant(db, workspaceId, assistantId);
  const wanted = [
    ...(input.page_ids ?? []).map((value, i) => ({ kind: "page" as const, notionId: notionIdOf(value, `page_ids.${i}`) })),
    ...(input.database_id === undefined ? [] : [{ kind: "database" as const, notionId: notionIdOf(input.database_id, "database_id") }]),
  ];
  const credentials = await integrationCredentials(env, db, workspaceId, "notion");
  if (!credentials?.secrets.token) {
    throw new ApiError("conflict", "connect Notion first: set its integration token on the integrations page", { integration: "notion" });
  }
  const now = nowIso();
  const rows: SourceRow[] = [];
  for (const { kind, notionId } of wanted) {
    if (rows.some((r) => r.kind === kind && r.notion_id === notionId)) continue;
    const existing = await db
      .select()
      .from(notion_sources)
      .where(
        and(
          eq(notion_sources.workspace_id, workspaceId),
          eq(notion_sources.assistant_id, assistantId),
          eq(notion_sources.kind, kind),
          eq(notion_sources.notion_id, notionId),
          isNull(notion_sources.deleted_at),
        ),
      )
      .get();
    const row = existing
      ? await db.update(notion_sources).set({ status: "queued", error: null, updated_at: now }).where(eq(notion_sources.id, existing.id)).returning().get()
      : await db
          .insert(notion_sources)
          .values({ id: newId("notionSource"), workspace_id: workspaceId, assistant_id: assistantId, kind, notion_id: notionId, status: "queued", created_at: now, updated_at: now })
          .returning()
          .get();
    if (row) rows.push(row);
  }
  await queueSyncs(env, rows);
  return present(db, rows);
}

/** Every live source of an assistant, oldest first (an assistant has a handful, not pages of them). */
export async function listNotionSources(db: Db, workspaceId: string, assistantId: string): Promise<NotionSource[]> {
  await getAssistant(db, workspaceId, assistantId);
  const rows = await db
    .select()
    .from(notion_sources)
    .where(and(eq(notion_sources.workspace_id, workspaceId), eq(notion_sources.assistant_id, assistantId), isNull(notion_sources.deleted_at)))
    .orderBy(asc(notion_sources.created_at), asc(notion_sources.id))
    .all();
  return present(db, rows);
}

async function liveSource(db: Db, workspaceId: string, id: string): Promise<SourceRow> {
  const row = await db
    .select()
    .from(notion_sources)
    .where(and(eq(notion_sources.id, id), eq(notion_sources.workspace_id, workspaceId), isNull(notion_sources.deleted_at)))
    .get();
  if (!row) throw notFound("notion source");
  return row;
}

/** One live source of the workspace, or 404. */
export async function getNotionSource(db: Db, workspaceId: string, id: string): Promise<NotionSource> {
  return (await present(db, [await liveSource(db, workspaceId, id)]))[0]!;
}

/** Queues a re-sync of a source. */
export async function requestNotionSync(env: Env, workspaceId: string, id: string): Promise<NotionSource> {
  const db = createDb(env.DB);
  const source = await liveSource(db, workspaceId, id);
  const row = (await db.update(notion_sources).set({ status: "queued", error: null, updated_at: nowIso() }).where(eq(notion_sources.id, source.id)).returning().get())!;
  await queueSyncs(env, [row]);
  return (await present(db, [row]))[0]!;
}

async function sourceDocuments(db: Db, sourceId: string): Promise<DocumentRow[]> {
  return db
    .select()
    .from(kb_documents)
    .where(and(eq(kb_documents.notion_source_id, sourceId), isNull(kb_documents.deleted_at)))
    .all();
}

/** Removes a source and its documents (chunks, vectors, keyword entries) from the knowledge base. */
export async function deleteNotionSource(env: Env, workspaceId: string, id: string): Promise<void> {
  const db = createDb(env.DB);
  const source = await liveSource(db, workspaceId, id);
  const now = nowIso();
  // Marked first, so a sync running meanwhile finds it gone and adds nothing.
  await db.update(notion_sources).set({ deleted_at: now, updated_at: now }).where(eq(notion_sources.id, source.id)).run();
  for (const doc of await sourceDocuments(db, source.id)) await deleteDocument(env, workspaceId, doc.id);
}

/** Marks a source's sync failed with a reason its admin can read. */
export async function failNotionSync(env: Env, job: NotionSyncJob, message: string): Promise<void> {
  await createDb(env.DB)
    .update(notion_sources)
    .set({ status: "failed", error: message.slice(0, 1_000), updated_at: nowIso() })
    .where(and(eq(notion_sources.id, job.notion_source_id), eq(notion_sources.workspace_id, job.workspace_id)))
    .run();
}

/** Puts a source back in the queue's hands after a failure it will retry (a 429, a network error). */
export async function retryNotionSync(env: Env, job: NotionSyncJob, reason: string): Promise<void> {
  await createDb(env.DB)
    .update(notion_sources)
    .set({ status: "queued", error: `retrying: ${reason}`.slice(0, 1_000), updated_at: nowIso() })
    .where(and(eq(notion_sources.id, job.notion_source_id), eq(notion_sources.workspace_id, job.workspace_id)))
    .run();
}

/** Whether a document of a page still holds what Notion has (or is about to be read anyway). */
function upToDate(doc: DocumentRow, page: NotionPageRef): boolean {
  if (doc.status === "queued" || doc.status === "processing") return true;
  return doc.status === "ready" && doc.external_edited_at === page.lastEditedTime;
}

/**
 * One sync of a source, run by the ingestion queue: lists its pages and reconciles the
 * assistant's documents with them. Throws `NotionRateLimitedError` for the queue to wait,
 * `NotionConfigError` when retrying cannot help.
 */
export async function syncNotionSource(env: Env, job: NotionSyncJob): Promise<void> {
  const db = createDb(env.DB);
  const source = await db
    .select()
    .from(notion_sources)
    .where(and(eq(notion_sources.id, job.notion_source_id), eq(notion_sources.workspace_id, job.workspace_id), isNull(notion_sources.deleted_at)))
    .get();
  if (!source) return; // removed while queued
  await db.update(notion_sources).set({ status: "syncing", updated_at: nowIso() }).where(eq(notion_sources.id, source.id)).run();

  const reader = await notionReaderFor(env, db, source.workspace_id);
  let pages: NotionPageRef[];
  let found: { title: string; url: string } | null;
  if (source.kind === "page") {
    // The page and its sub-pages, each a document of its own.
    const page = await reader.page(source.notion_id);
    found = page && !page.trashed ? page : null;
    pages = found && page ? [page, ...(await reader.subPages(page.id))] : [];
  } else {
    const database = await reader.database(source.notion_id);
    found = database && !database.trashed ? database : null;
    pages = found && database ? database.pages.filter((p) => !p.trashed) : [];
  }

  const documents = await sourceDocuments(db, source.id);
  const byPage = new Map(documents.map((d) => [d.external_id, d]));
  const jobs: IngestJob[] = [];
  let limitReached = false;
  const now = nowIso();
  for (const page of pages) {
    const doc = byPage.get(page.id);
    if (doc && upToDate(doc, page)) continue;
    const fields = { title: page.title.slice(0, 300), source_url: page.url, status: "queued" as const, error: null, updated_at: now };
    if (doc) {
      await db.update(kb_documents).set(fields).where(eq(kb_documents.id, doc.id)).run();
      jobs.push({ document_id: doc.id, workspace_id: source.workspace_id });
      continue;
    }
    // A new page counts against the plan's document limit, like an upload.
    if (limitReached || (await documentLimitReached(env, source.workspace_id))) {
      limitReached = true;
      continue;
    }
    const id = newId("document");
    await db
      .insert(kb_documents)
      .values({ id, workspace_id: source.workspace_id, assistant_id: source.assistant_id, source_type: "notion", notion_source_id: source.id, external_id: page.id, created_at: now, ...fields })
      .run();
    jobs.push({ document_id: id, workspace_id: source.workspace_id });
  }
  for (const part of chunked(jobs, QUEUE_BATCH)) {
    await env.INGEST_QUEUE.sendBatch(part.map((body) => ({ body, contentType: "json" as const })));
  }

  const live = new Set(pages.map((p) => p.id));
  for (const doc of documents) if (!doc.external_id || !live.has(doc.external_id)) await deleteDocument(env, source.workspace_id, doc.id);

  const what = source.kind === "page" ? "page" : "database";
  const error = !found
    ? `the ${what} is deleted in Notion or no longer shared with the integration; its documents were removed`
    : limitReached
      ? "the plan's document limit was reached; some pages were not added"
      : null;
  await db
    .update(notion_sources)
    .set({
      status: found ? "ready" : "failed",
      error,
      title: found?.title.slice(0, 300) ?? source.title,
      url: found?.url ?? source.url,
      page_count: pages.length,
      last_synced_at: nowIso(),
      updated_at: nowIso(),
    })
    .where(and(eq(notion_sources.id, source.id), isNull(notion_sources.deleted_at)))
    .run();
}

/**
 * The scheduled re-sync: queues sources last synced more than `NOTION_RESYNC_HOURS` ago (6 by
 * default; "off" turns it off), oldest first, a bounded number per run. Sources already waiting
 * in the queue are left alone. Returns how many were queued.
 */
export async function queueDueNotionSyncs(env: Env, now = new Date()): Promise<number> {
  const setting = env.NOTION_RESYNC_HOURS?.trim();
  if (setting === "off") return 0;
  const hours = Number(setting ?? DEFAULT_RESYNC_HOURS);
  const intervalHours = Number.isFinite(hours) && hours > 0 ? hours : DEFAULT_RESYNC_HOURS;
  const before = new Date(now.getTime() - intervalHours * 3_600_000).toISOString();
  const db = createDb(env.DB);
  const due = await db
    .select({ id: notion_sources.id, workspace_id: notion_sources.workspace_id })
    .from(notion_sources)
    .where(
      and(
        isNull(notion_sources.deleted_at),
        inArray(notion_sources.status, ["ready", "failed"]),
        or(isNull(notion_sources.last_synced_at), lt(notion_sources.last_synced_at, before)),
      ),
    )
    .orderBy(asc(notion_sources.last_synced_at))
    .limit(RESYNC_PER_RUN)
    .all();
  if (due.length === 0) return 0;
  await db
    .update(notion_sources)
    .set({ status: "queued", updated_at: nowIso() })
    .where(inArray(notion_sources.id, due.map((d) => d.id)))
    .run();
  await queueSyncs(env, due);
  return due.length;
}
