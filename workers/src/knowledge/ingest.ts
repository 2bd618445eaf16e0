import { and, count, eq, isNull, like } from "drizzle-orm";
import { sha256Hex } from "../lib/crypto";
import { createLogger } from "../lib/logger";
import { nowIso } from "../lib/time";
import { createDb, schema } from "../storage/db";
import { chunkDocument, contentHash } from "./chunker";
import { allowedByRobots, extractLinks, fetchPage, FetchError, isSitemap, sitemapUrls } from "./crawler";
import { acceptDocument, type IngestJob } from "./documents";
import { EmbedderConfigError } from "./embeddings/embedder";
import { indexChunks } from "./index-chunks";
import { parseDocument } from "./parsers/parse-document";
import { ParseError } from "./parsers/parse-error";
import { VectorStoreConfigError } from "./vector-store/vector-store";

const { kb_documents } = schema;

/** Retry delays of a failing document: 10 s doubling, capped at 10 minutes. */
const RETRY_BASE_S = 10;
const RETRY_MAX_S = 600;

/** A failure that retrying cannot fix: the document fails with this message at once. */
class PermanentError extends Error {}

function isPermanent(err: unknown): boolean {
  return (
    err instanceof ParseError ||
    err instanceof PermanentError ||
    err instanceof EmbedderConfigError ||
    err instanceof VectorStoreConfigError ||
    (err instanceof FetchError && err.permanent)
  );
}

async function setStatus(env: Env, id: string, fields: Partial<typeof kb_documents.$inferInsert>): Promise<void> {
  await createDb(env.DB).update(kb_documents).set({ ...fields, updated_at: nowIso() }).where(eq(kb_documents.id, id)).run();
}

/** Marks a document failed with a message its uploader can read. */
export async function failDocument(env: Env, id: string, message: string): Promise<void> {
  await setStatus(env, id, { status: "failed", error: message.slice(0, 1_000) });
}

/** Queues the pages a crawled page links to (or a sitemap lists), within the crawl's limits. */
async function followLinks(env: Env, job: Required<Pick<IngestJob, "crawl">> & IngestJob, assistantId: string, urls: string[]) {
  const crawl = job.crawl;
  if (crawl.depth >= crawl.max_depth || urls.length === 0) return;
  const origin = new URL(urls[0]!).origin;
  const db = createDb(env.DB);
  const [{ n } = { n: 0 }] = await db
    .select({ n: count() })
    .from(kb_documents)
    .where(and(eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at), like(kb_documents.source_url, `${origin}%`)));
  let room = crawl.max_pages - n;
  for (const url of urls) {
    if (room <= 0) break;
    if (!(await allowedByRobots(url))) continue;
    const existing = await db
      .select({ id: kb_documents.id })
      .from(kb_documents)
      .where(and(eq(kb_documents.assistant_id, assistantId), isNull(kb_documents.deleted_at), eq(kb_documents.source_url, url)))
      .get();
    await acceptDocument(env, job.workspace_id, assistantId, {
      kind: "url",
      url,
      crawl: { max_pages: crawl.max_pages, max_depth: crawl.max_depth, depth: crawl.depth + 1 },
    });
    if (!existing) room -= 1;
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

  let bytes: Uint8Array;
  let filename: string;
  let title = doc.title;
  if (doc.source_type === "url") {
    const url = doc.source_url!;
    if (!(await allowedByRobots(url))) throw new PermanentError(`${url} is disallowed for crawlers by the site's robots.txt`);
    const page = await fetchPage(url);
    if (isSitemap(page)) {
      const { pages, sitemaps } = sitemapUrls(new TextDecoder().decode(page.bytes));
      const crawl = job.crawl ?? { max_pages: 50, max_depth: 1, depth: 0 };
      // A sitemap's pages sit one level below it; nested sitemaps are read at the same depth.
      await followLinks(env, { ...job, crawl: { ...crawl, max_depth: Math.max(crawl.max_depth, 1) } }, doc.assistant_id, [...pages, ...sitemaps]);
      await setStatus(env, doc.id, { status: "ready", chunk_count: 0, token_count: 0, title: doc.title === url ? `Sitemap: ${url}` : doc.title });
      return;
    }
    bytes = page.bytes;
    filename = /pdf/i.test(page.contentType) ? "page.pdf" : /html/i.test(page.contentType) ? "page.html" : "page.txt";
    if (job.crawl && /html/i.test(page.contentType)) {
      const links = await extractLinks(new TextDecoder().decode(bytes), page.url);
      await followLinks(env, { ...job, crawl: job.crawl }, doc.assistant_id, links);
    }
  } else {
    const object = doc.r2_key ? await env.FILES.get(doc.r2_key) : null;
    if (!object) throw new PermanentError("the uploaded file is missing from storage; upload it again");
    bytes = new Uint8Array(await object.arrayBuffer());
    filename = doc.r2_key!.split("/").pop() ?? "file";
  }

  const parsed = await parseDocument(bytes, filename);
  if (doc.source_type === "url" && parsed.title && doc.title === doc.source_url) title = parsed.title.slice(0, 300);
  const fullText = parsed.sections.map((s) => `${s.heading ?? ""}\n${s.text}`).join("\n\n");
  const textHash = await sha256Hex(fullText);
  if (doc.source_type === "url" && doc.content_hash === textHash && doc.chunk_count > 0) {
    await setStatus(env, doc.id, { status: "ready", title }); // unchanged page: nothing to redo
    return;
  }
  const chunks = chunkDocument(parsed);
  if (chunks.length === 0) throw new PermanentError("the document has no readable text");
  const withHashes = await Promise.all(chunks.map(async (c) => ({ ...c, content_hash: await contentHash(c.content) })));
  await indexChunks(env, { workspaceId: doc.workspace_id, assistantId: doc.assistant_id, documentId: doc.id, title }, withHashes);
  await setStatus(env, doc.id, {
    status: "ready",
    title,
    error: null,
    chunk_count: chunks.length,
    token_count: chunks.reduce((sum, c) => sum + c.token_count, 0),
    ...(doc.source_type === "url" ? { content_hash: textHash } : {}),
  });
}

/**
 * The ingestion queue consumer. Documents are processed one by one so a hostile or broken file
 * fails alone: a permanent problem marks its document failed with the reason; anything else
 * is retried with backoff and, past the queue's retries, dead-lettered.
 */
export async function consumeIngest(batch: MessageBatch<IngestJob>, env: Env): Promise<void> {
  const logger = createLogger({ queue: batch.queue });
  for (const message of batch.messages) {
    const job = message.body;
    try {
      await ingestDocument(env, job);
      message.ack();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (isPermanent(err)) {
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
}

/** Dead-lettered ingestion: the document ran out of retries, so it is marked failed for good. */
export async function consumeIngestDeadLetters(batch: MessageBatch<IngestJob>, env: Env): Promise<void> {
  for (const message of batch.messages) {
    const doc = await createDb(env.DB).select({ error: kb_documents.error }).from(kb_documents).where(eq(kb_documents.id, message.body.document_id)).get();
    const last = doc?.error?.replace(/^retrying: /, "") ?? "unknown error";
    await failDocument(env, message.body.document_id, `processing failed after several attempts: ${last}`);
  }
}
