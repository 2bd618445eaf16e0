/**
 * Recovery of documents whose ingestion message was lost. A queue can drop a message in
 * flight (a `wrangler dev` reload does; production queues rarely do), and the document then
 * waits `queued` or `processing` for ever. The scheduled sweep sends every document that has
 * shown no progress for longer than ingestion can take to the ingestion queue again.
 *
 * Sending again is safe even when the first message was only slow: ingestion swaps a
 * document's chunks in whole and checks that no other run of the same document overlapped it
 * (see `ingest.ts`), so a second run repeats work but never duplicates or loses chunks. A
 * document that keeps getting stuck ends `failed` after `MAX_DOCUMENT_SWEEPS` re-sends, with an
 * error its uploader can read, instead of being sent again every run.
 *
 * A crawled page goes back alone: a crawl's limits travel only in its queue messages, so the
 * links of a page whose message was lost are not followed again.
 */
import { and, asc, eq, inArray, isNull, lt } from "drizzle-orm";
import { createLogger } from "../lib/logger";
import { stuckAfterMs } from "../lib/stuck-work";
import { HOUR_MS } from "../lib/time";
import { createDb, schema } from "../storage/db";
import type { IngestJob } from "./documents";

const { assistants, kb_documents, workspaces } = schema;

/**
 * Default time a document may sit `queued` or `processing` without an update: one ingestion
 * attempt runs at most 15 minutes (a queue consumer's wall-clock limit) and retries wait at
 * most 10 minutes, each refreshing `updated_at`; an hour also leaves room for a queue backlog.
 */
export const STUCK_DOCUMENT_TIMEOUT_MS = HOUR_MS;

/**
 * Documents handled per run: a few D1 writes and one `sendBatch` (which takes up to 100
 * messages). A larger backlog is worked off over the next runs, 15 minutes apart.
 */
export const STUCK_DOCUMENT_BATCH = 50;

/**
 * Re-sends before a document is given up on: one lost message is bad luck; a document stuck
 * three times running stalls ingestion itself, and sending it again would loop for ever.
 */
export const MAX_DOCUMENT_SWEEPS = 3;

/** The `error` of a document the sweep gave up on. */
export const STUCK_DOCUMENT_ERROR = `processing stopped without finishing ${MAX_DOCUMENT_SWEEPS} times; re-index the document or upload it again to retry`;

/** What one sweep did. */
export interface StuckDocumentsOutcome {
  /** Documents sent to the ingestion queue again. */
  requeued: number;
  /** Documents marked `failed` after too many re-sends. */
  failed: number;
}

/**
 * Sends documents stuck `queued` or `processing` for longer than `timeoutMs` to ingestion
 * again, oldest first, at most `STUCK_DOCUMENT_BATCH` a run; fails those already re-sent
 * `MAX_DOCUMENT_SWEEPS` times.
 */
export async function sweepStuckDocuments(env: Env, now: Date, timeoutMs = stuckAfterMs(env, STUCK_DOCUMENT_TIMEOUT_MS)): Promise<StuckDocumentsOutcome> {
  const logger = createLogger({ component: "stuck-documents" });
  const cutoff = new Date(now.getTime() - timeoutMs).toISOString();
  const stamp = now.toISOString();
  // Only documents of live workspaces and assistants: a closed workspace is being erased, and
  // ingesting its documents again would write into indexes the erasure has just emptied.
  const stuck = await createDb(env.DB)
    .select({ id: kb_documents.id, workspace_id: kb_documents.workspace_id, updated_at: kb_documents.updated_at, ingest_sweeps: kb_documents.ingest_sweeps })
    .from(kb_documents)
    .innerJoin(workspaces, and(eq(workspaces.id, kb_documents.workspace_id), isNull(workspaces.deleted_at)))
    .innerJoin(assistants, and(eq(assistants.id, kb_documents.assistant_id), isNull(assistants.deleted_at)))
    .where(and(inArray(kb_documents.status, ["queued", "processing"]), lt(kb_documents.updated_at, cutoff), isNull(kb_documents.deleted_at)))
    .orderBy(asc(kb_documents.updated_at))
    .limit(STUCK_DOCUMENT_BATCH)
    .all();
  if (stuck.length === 0) return { requeued: 0, failed: 0 };

  // Each write applies only if the row is as it was read: a document that moved on meanwhile
  // (ingestion picked it up, it was deleted, another sweep took it) is left to that.
  const unchanged = "id = ? and updated_at = ? and status in ('queued', 'processing') and deleted_at is null";
  const giveUp = stuck.map((d) => d.ingest_sweeps >= MAX_DOCUMENT_SWEEPS);
  const writes = stuck.map((d, i) =>
    giveUp[i]
      ? env.DB.prepare(`update kb_documents set status = 'failed', error = ?, ingest_sweeps = 0, updated_at = ? where ${unchanged}`).bind(
          STUCK_DOCUMENT_ERROR,
          stamp,
          d.id,
          d.updated_at,
        )
      : env.DB.prepare(`update kb_documents set status = 'queued', ingest_sweeps = ingest_sweeps + 1, updated_at = ? where ${unchanged}`).bind(
          stamp,
          d.id,
          d.updated_at,
        ),
  );
  const results = await env.DB.batch(writes);

  const jobs: IngestJob[] = [];
  let failed = 0;
  stuck.forEach((d, i) => {
    if ((results[i]?.meta.changes ?? 0) === 0) return;
    if (giveUp[i]) {
      failed += 1;
      logger.warn("document given up after repeated stalls", { document_id: d.id, workspace_id: d.workspace_id, sweeps: d.ingest_sweeps });
    } else {
      jobs.push({ document_id: d.id, workspace_id: d.workspace_id });
    }
  });
  // Marked before sent: if sending fails, the documents are found again once the timeout
  // passes, and that attempt counts towards the limit like any other.
  if (jobs.length > 0) await env.INGEST_QUEUE.sendBatch(jobs.map((body) => ({ body, contentType: "json" as const })));
  if (jobs.length > 0 || failed > 0) {
    logger.info("stuck documents swept", { requeued: jobs.length, failed, document_ids: jobs.map((j) => j.document_id) });
  }
  return { requeued: jobs.length, failed };
}
