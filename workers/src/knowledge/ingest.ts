import { and, eq } from "drizzle-orm";
import { sha256Hex } from "../lib/crypto";
import { createLogger, type Logger } from "../lib/logger";
import { outboundPolicy } from "../lib/network-policy";
import { nowIso } from "../lib/time";
import { createDb, schema } from "../storage/db";
import { chunkDocument, contentHash } from "./chunker";
import { allowedByRobots, extractLinks, fetchPage, FetchError, isSitemap, normalizeUrl, sitemapUrls } from "./crawler";
import { deleteDocument, queueCrawledPage, type CrawlState, type IngestJob, type IngestMessage, type NotionSyncJob } from "./documents";
import { EmbedderConfigError } from "./embeddings/embedder";
import { indexChunks } from "./index-chunks";
import { NotionConfigError, NotionRateLimitedError } from "./notion/client";
import { readNotionPage } from "./notion/read-page";
import { failNotionSync, retryNotionSync, syncNotionSource } from "./notion/sources";
import { parseDocument } from "./parsers/parse-document";
import { ParseError } from "./parsers/parse-error";
import type { ParsedDocument } from "./parsers/types";
import { VectorStoreConfigError } from "./vector-store/vector-store";
import { workspacePlace } from "../storage/data-region";
import { runInTrace, traceOfMessage } from "../lib/trace-context";

const { kb_documents } = schema;

/** Retry delays of a failing document: 10 s doubling, capped at 10 minutes. */
const RETRY_BASE_S = 10;
const RETRY_MAX_S = 600;

/** Pages a sitemap added without crawl limits may import: the API's default `max_pages`. */
const SITEMAP_MAX_PAGES = 50;

/** A failure that retrying cannot fix: the document fails with this message at once. */
class PermanentError extends Error {}

function isPermanent(err: unknown): boolean {
  return (
    err instanceof ParseError ||
    err instanceof PermanentError ||
    err instanceof NotionConfigError ||
    err instanceof EmbedderConfigError ||
    err instanceof VectorStoreConfigError ||
    (err instanceof FetchError && err.permanent)
  );
}

/** A run of a document overlapped another run of it, which swapped its chunks in first; retrying sets it straight. */
class OverlappingRunError extends Error {}

async function setStatus(env: Env, id: string, fields: Partial<typeof kb_documents.$inferInsert>): Promise<void> {
  // A document that finished, either way, is no longer stuck: the sweep's count starts afresh.
  const finished = fields.status === "ready" || fields.status === "failed";
  await createDb(env.DB)
    .update(kb_documents)
    .set({ ...fields, ...(finished ? { ingest_sweeps: 0 } : {}), updated_at: nowIso() })
    .where(eq(kb_documents.id, id))
    .run();
}

/** Marks a document failed with a message its uploader can read. */
export async function failDocument(env: Env, id: string, message: string): Promise<void> {
  await setStatus(env, id, { status: "failed", error: message.slice(0, 1_000) });
}

/**
 * Queues what a crawled page links to, or a sitemap lists: pages one level deeper, sitemaps of a
 * sitemap index at the same depth (they list pages; they are not a level of links). Only URLs on
 * the page's own site that robots.txt allows and that this crawl has not visited yet, until the
 * crawl has `max_pages` pages.
 */
async function followLinks(
  env: Env,
  job: IngestJob,
  crawl: CrawlState & { started_at: string },
  assistantId: string,
  pageUrl: string,
  found: { pages: string[]; sitemaps?: string[] },
): Promise<void> {
  if (crawl.depth >= crawl.max_depth) return;
  const origin = new URL(pageUrl).origin;
  const next = [...found.pages.map((url) => ({ url, depth: crawl.depth + 1 })), ...(found.sitemaps ?? []).map((url) => ({ url, depth: crawl.depth }))];
  for (const link of next) {
    const url = normalizeUrl(link.url);
    if (!url || new URL(url).origin !== origin) continue;
    if (!(await allowedByRobots(url, outboundPolicy(env)))) continue;
    const outcome = await queueCrawledPage(env, job.workspace_id, assistantId, url, origin, { ...crawl, depth: link.depth });
    if (outcome === "full") return;
  }
}

/** Parse → clean → chunk → embed → index one document. Throws to retry; permanent failures throw typed errors. */
export async function ingestDocument(env: Env, job: IngestJob): Promise<void> {
  const db = createDb(env.DB);
  const doc = await db
    .select()
    .from(kb_documents)
    .where(and(eq(kb_documents.id, job.document_id), eq(kb_documents.workspace_id, job.workspace_id)))
    .get();
  if (!doc || doc.deleted_at) return; // deleted while queued
  await setStatus(env, doc.id, { status: "processing", error: null });

  let bytes: Uint8Array | null = null;
  let filename = "file";
  let title = doc.title;
  let sourceUrl = doc.source_url;
  let parsed: ParsedDocument | null = null;
  let notionEditedAt: string | null = null;
  if (doc.source_type === "notion") {
    const page = await readNotionPage(env, db, doc.workspace_id, doc.notion_source_id ?? "", doc.external_id ?? "");
    if (!page) {
      // Deleted, trashed or no longer shared since its source listed it, or the source was removed: it leaves the knowledge base.
      await deleteDocument(env, doc.workspace_id, doc.id);
      return;
    }
    parsed = page.parsed;
    title = page.title.slice(0, 300);
    sourceUrl = page.url;
    notionEditedAt = page.lastEditedTime;
  } else if (doc.source_type === "url") {
    const url = doc.source_url!;
    // Refuses private and local addresses, also for documents saved before that check existed.
    const policy = outboundPolicy(env);
    if (!(await allowedByRobots(url, policy))) throw new PermanentError(`${url} is disallowed for crawlers by the site's robots.txt`);
    const page = await fetchPage(url, policy);
    // `updated_at` is still the time the document was queued: where a crawl without a start time begins.
    const crawl = job.crawl && { ...job.crawl, started_at: job.crawl.started_at ?? doc.updated_at };
    if (isSitemap(page)) {
      // A sitemap added on its own imports the pages it lists, and those pages only.
      const sitemapCrawl = crawl ?? { max_pages: SITEMAP_MAX_PAGES, max_depth: 1, depth: 0, started_at: doc.updated_at };
      // Its pages sit one level below it, even in a crawl limited to the start page.
      await followLinks(env, job, { ...sitemapCrawl, max_depth: Math.max(sitemapCrawl.max_depth, 1) }, doc.assistant_id, page.url, sitemapUrls(new TextDecoder().decode(page.bytes)));
      await setStatus(env, doc.id, { status: "ready", error: null, chunk_count: 0, token_count: 0, title: doc.title === url ? `Sitemap: ${url}` : doc.title });
      return;
    }
    bytes = page.bytes;
    filename = /pdf/i.test(page.contentType) ? "page.pdf" : /html/i.test(page.contentType) ? "page.html" : "page.txt";
    if (crawl && /html/i.test(page.contentType)) {
      const links = await extractLinks(new TextDecoder().decode(bytes), page.url);
      await followLinks(env, job, crawl, doc.assistant_id, page.url, { pages: links });
    }
  } else {
    const object = doc.r2_key ? await (await workspacePlace(env, doc.workspace_id)).files.get(doc.r2_key) : null;
    if (!object) throw new PermanentError("the uploaded file is missing from storage; upload it again");
    bytes = new Uint8Array(await object.arrayBuffer());
    filename = doc.r2_key!.split("/").pop() ?? "file";
  }

  parsed ??= await parseDocument(bytes ?? new Uint8Array(), filename);
  if (doc.source_type === "url" && parsed.title && doc.title === doc.source_url) title = parsed.title.slice(0, 300);
  const fullText = parsed.sections.map((s) => `${s.heading ?? ""}\n${s.text}`).join("\n\n");
  const textHash = await sha256Hex(fullText);
  // Pages fetched again (a URL, a Notion page) keep the hash of their text.
  const hashesText = doc.source_type === "url" || doc.source_type === "notion";
  const notionFields = notionEditedAt ? { external_edited_at: notionEditedAt, source_url: sourceUrl } : {};
  if (hashesText && doc.content_hash === textHash && doc.chunk_count > 0) {
    await setStatus(env, doc.id, { status: "ready", title, error: null, ...notionFields }); // unchanged page: nothing to redo
    return;
  }
  const chunks = chunkDocument(parsed);
  if (chunks.length === 0) throw new PermanentError("the document has no readable text");
  const withHashes = await Promise.all(chunks.map(async (c) => ({ ...c, content_hash: await contentHash(c.content) })));
  const indexed = await indexChunks(env, { workspaceId: doc.workspace_id, assistantId: doc.assistant_id, documentId: doc.id, title, sourceUrl }, withHashes);
  // Two runs of one document can overlap (a message delivered twice, or sent again by the
  // stuck-document sweep while the first was only slow). Each swap replaces the document's
  // chunks whole, so they never double; but a large document is staged in parts, and the
  // other run's swap clears staged parts it did not write. Then fewer chunks landed than
  // were sent, and this run goes again.
  if (indexed !== chunks.length) {
    throw new OverlappingRunError(`another run of this document overlapped this one (${indexed} of ${chunks.length} chunks indexed)`);
  }
  await setStatus(env, doc.id, {
    status: "ready",
    title,
    error: null,
    chunk_count: chunks.length,
    token_count: chunks.reduce((sum, c) => sum + c.token_count, 0),
    ...(hashesText ? { content_hash: textHash } : {}),
    ...notionFields,
  });
}

/**
 * The ingestion queue consumer. Documents are processed one by one so a hostile or broken file
 * fails alone: a permanent problem marks its document failed with the reason; anything else
 * is retried with backoff and, past the queue's retries, dead-lettered.
 */
export async function consumeIngest(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    await runInTrace(traceOfMessage(message.body), () => ingestOne(env, message, logger));
  }
}

/** One ingestion message (a document, or a Notion source's sync), in the trace it carries. */
async function ingestOne(env: Env, message: Message<IngestMessage>, logger: Logger): Promise<void> {
  const body = message.body;
  if (isNotionSync(body)) return consumeNotionSync(message, body, env, logger);
  const job = body;
  logger.info("ingesting document", { document_id: job.document_id, attempts: message.attempts });
  try {
    await ingestDocument(env, job);
    message.ack();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof NotionRateLimitedError) {
      // Notion said when to come back: the message waits exactly that long.
      logger.warn("notion rate limit; retrying", { document_id: job.document_id, retry_after_s: err.retryAfterSeconds });
      await setStatus(env, job.document_id, { status: "queued", error: `retrying: ${reason}`.slice(0, 1_000) }).catch(() => {});
      message.retry({ delaySeconds: err.retryAfterSeconds });
    } else if (isPermanent(err)) {
      logger.warn("document failed", { document_id: job.document_id, reason });
      await failDocument(env, job.document_id, reason);
      message.ack();
    } else {
      logger.warn("document ingestion failed; retrying", { document_id: job.document_id, attempts: message.attempts, reason });
      await setStatus(env, job.document_id, { status: "queued", error: `retrying: ${reason}`.slice(0, 1_000) }).catch(() => {});
      message.retry({ delaySeconds: Math.min(RETRY_BASE_S * 2 ** (message.attempts - 1), RETRY_MAX_S) });
    }
  }
}

function isNotionSync(body: IngestMessage): body is NotionSyncJob {
  return "notion_source_id" in body;
}

/** One Notion sync job: a 429 waits its `Retry-After`, a setting problem fails the source, the rest backs off. */
async function consumeNotionSync(message: Message<IngestMessage>, job: NotionSyncJob, env: Env, logger: ReturnType<typeof createLogger>): Promise<void> {
  try {
    await syncNotionSource(env, job);
    message.ack();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (err instanceof NotionRateLimitedError) {
      logger.warn("notion rate limit; retrying", { notion_source_id: job.notion_source_id, retry_after_s: err.retryAfterSeconds });
      await retryNotionSync(env, job, reason).catch(() => {});
      message.retry({ delaySeconds: err.retryAfterSeconds });
    } else if (isPermanent(err)) {
      logger.warn("notion sync failed", { notion_source_id: job.notion_source_id, reason });
      await failNotionSync(env, job, reason);
      message.ack();
    } else {
      logger.warn("notion sync failed; retrying", { notion_source_id: job.notion_source_id, attempts: message.attempts, reason });
      await retryNotionSync(env, job, reason).catch(() => {});
      message.retry({ delaySeconds: Math.min(RETRY_BASE_S * 2 ** (message.attempts - 1), RETRY_MAX_S) });
    }
  }
}

/** Dead-lettered ingestion: the document (or Notion sync) ran out of retries, so it is marked failed for good. */
export async function consumeIngestDeadLetters(batch: MessageBatch<IngestMessage>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    if (isNotionSync(message.body)) {
      await failNotionSync(env, message.body, "the sync failed after several attempts; sync it again");
      continue;
    }
    const doc = await createDb(env.DB).select({ error: kb_documents.error }).from(kb_documents).where(eq(kb_documents.id, message.body.document_id)).get();
    const last = doc?.error?.replace(/^retrying: /, "") ?? "unknown error";
    await failDocument(env, message.body.document_id, `processing failed after several attempts: ${last}`);
  }
}
