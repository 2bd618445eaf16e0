/**
 * Copies a conversation object's changes out of it: rows to D1 (`flushOutbox`, one `batch()`
 * per up to `FLUSH_BATCH_SIZE` rows) and analytics events to the analytics queue
 * (`flushAnalytics`, one `sendBatch` per up to `ANALYTICS_BATCH_SIZE` events). Both leave what
 * they could not copy in the object's SQLite with a back-off; the context's alarm retries it.
 */
import { queueEvents } from "../analytics/consumer";
import type { AnalyticsEvent } from "../analytics/sink";
import type { PendingAnalyticsEvent } from "./analytics-outbox-store";
import type { OutboxEntry } from "./outbox-store";
import type { ConversationStore } from "./store";

/** Entries written to D1 per flush; one D1 batch is one transaction. */
export const FLUSH_BATCH_SIZE = 50;
/** Analytics events per `sendBatch`: the queue's limit is 100 messages. */
const ANALYTICS_BATCH_SIZE = 100;
/** Bytes of analytics events per `sendBatch`: under the queue's 256 KB per batch, with room for framing. */
const ANALYTICS_BATCH_BYTES = 200_000;
/** Retry backoff after a failed flush: doubling from 1 s, capped at 5 minutes. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 5 * 60_000;

/** When a batch that failed on its `attempts`-th try is tried again: exponential, jittered. */
function retryAt(now: number, attempts: number): number {
  return now + Math.min(RETRY_BASE_MS * 2 ** (attempts - 1), RETRY_MAX_MS) + Math.floor(Math.random() * 250);
}

/** What a flush did. */
export interface FlushResult {
  written: number;
  failed: number;
  /** When the next attempt is due (ms epoch), or null when the outbox is empty. */
  nextAt: number | null;
}

function statementFor(store: ConversationStore, db: D1Database, e: OutboxEntry): D1PreparedStatement | null {
  const conv = store.conversation();
  if (!conv) return null;
  if (e.kind === "conversation") {
    return db
      .prepare(
        `INSERT INTO conversations (id, workspace_id, assistant_id, channel, visitor_id, status, human_takeover,
           satisfaction_score, satisfaction_comment, metadata, external_ref, message_count, last_message_at,
           resolved_at, created_at, updated_at, verified, identity)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, human_takeover = excluded.human_takeover,
           satisfaction_score = excluded.satisfaction_score, satisfaction_comment = excluded.satisfaction_comment,
           metadata = excluded.metadata, message_count = excluded.message_count,
           last_message_at = excluded.last_message_at, resolved_at = excluded.resolved_at,
           updated_at = excluded.updated_at`,
      )
      .bind(
        conv.id,
        conv.workspace_id,
        conv.assistant_id,
        conv.channel,
        conv.visitor_id,
        conv.status,
        conv.human_takeover,
        conv.satisfaction_score,
        conv.satisfaction_comment,
        conv.metadata,
        conv.external_ref,
        store.messageCount(),
        store.lastMessageAt(),
        conv.resolved_at,
        conv.created_at,
        conv.updated_at,
        conv.verified,
        conv.identity,
      );
  }
  if (e.kind === "message") {
    const m = store.messageRow(e.ref_id);
    if (!m) return null;
    return db
      .prepare(
        `INSERT INTO messages (id, workspace_id, conversation_id, seq, sender_type, sender_id, content, status, sources,
           confidence, tokens_used, latency_ms, cost_usd, model, client_id, created_at, tool_calls)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)
         ON CONFLICT (id) DO UPDATE SET content = excluded.content, status = excluded.status, sources = excluded.sources,
           confidence = excluded.confidence, tokens_used = excluded.tokens_used, latency_ms = excluded.latency_ms,
           cost_usd = excluded.cost_usd, model = excluded.model, tool_calls = excluded.tool_calls`,
      )
      .bind(
        m.id,
        conv.workspace_id,
        conv.id,
        m.seq,
        m.sender_type,
        m.sender_id,
        m.content,
        m.status,
        m.sources,
        m.confidence,
        m.tokens_used,
        m.latency_ms,
        m.cost_usd,
        m.model,
        m.client_id,
        m.created_at,
        m.tool_calls ?? null,
      );
  }
  const esc = store.escalationRow(e.ref_id);
  if (!esc) return null;
  return db
    .prepare(
      `INSERT INTO escalations (id, workspace_id, conversation_id, reason, note, status, ticket_id, resolved_at, created_at, updated_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, ticket_id = excluded.ticket_id,
         resolved_at = excluded.resolved_at, updated_at = excluded.updated_at`,
    )
    .bind(esc.id, conv.workspace_id, conv.id, esc.reason, esc.note, esc.status, esc.ticket_id, esc.resolved_at, esc.resolved_at ?? esc.created_at);
}

/**
 * Copies due outbox entries to D1, a batch at a time. A failed batch stays in the outbox with
 * a backoff; nothing is dropped, so D1 trouble delays the dashboard's copy and loses nothing.
 */
export async function flushOutbox(store: ConversationStore, db: D1Database, now = Date.now()): Promise<FlushResult> {
  let written = 0;
  let failed = 0;
  for (;;) {
    const due = store.outbox.due(now, FLUSH_BATCH_SIZE);
    if (due.length === 0) break;
    const pairs = due.map((e) => ({ e, stmt: statementFor(store, db, e) }));
    const statements = pairs.flatMap((p) => (p.stmt ? [p.stmt] : []));
    try {
      if (statements.length > 0) await db.batch(statements);
      store.outbox.clear(due);
      written += statements.length;
    } catch (err) {
      store.outbox.defer(due, retryAt(now, Math.max(...due.map((d) => d.attempts)) + 1), err instanceof Error ? err.message : String(err));
      failed += due.length;
      break;
    }
  }
  return { written, failed, nextAt: store.outbox.nextAt() };
}

/** The longest run of `due` that fits one `sendBatch` (always at least one event). */
function oneBatch(due: readonly PendingAnalyticsEvent[]): PendingAnalyticsEvent[] {
  let bytes = 0;
  const batch: PendingAnalyticsEvent[] = [];
  for (const e of due) {
    bytes += e.body.length;
    if (batch.length > 0 && bytes > ANALYTICS_BATCH_BYTES) break;
    batch.push(e);
  }
  return batch;
}

/**
 * Sends due analytics events to the analytics queue, a `sendBatch` at a time. A failed batch
 * stays in the outbox with a backoff (the sinks skip an event id they already hold, so a resend
 * never counts twice).
 */
export async function flushAnalytics(store: ConversationStore, queue: Queue<AnalyticsEvent>, now = Date.now()): Promise<FlushResult> {
  let written = 0;
  let failed = 0;
  for (;;) {
    const batch = oneBatch(store.analyticsOutbox.due(now, ANALYTICS_BATCH_SIZE));
    if (batch.length === 0) break;
    try {
      await queueEvents(queue, batch.map((e) => JSON.parse(e.body) as AnalyticsEvent));
      store.analyticsOutbox.clear(batch);
      written += batch.length;
    } catch (err) {
      store.analyticsOutbox.defer(batch, retryAt(now, Math.max(...batch.map((e) => e.attempts)) + 1), err instanceof Error ? err.message : String(err));
      failed += batch.length;
      break;
    }
  }
  return { written, failed, nextAt: store.analyticsOutbox.nextAt() };
}
