/**
 * A visitor's data rights: everything held about them as JSON (access, portability), and its
 * erasure from every store, recorded in the audit log by counts and a hash, never the data.
 */
import { and, asc, eq, lte } from "drizzle-orm";
import type { VerifiedIdentity, VisitorErasure, VisitorExport } from "../../../schema/api";
import type { MessageView } from "../../../schema/protocol";
import { recordAudit, type AuditContext } from "../analytics/audit";
import { createAnalyticsSink } from "../analytics/create-sink";
import { D1AnalyticsSink } from "../analytics/d1-sink";
import type { Principal } from "../auth/principal";
import { conversationStub } from "../conversation/service";
import { eraseVisitorPhrasings, toPhrasing, visitorPhrasings } from "../knowledge/phrasings";
import { sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logger";
import { isoIn, MINUTE_MS, nowIso } from "../lib/time";
import { createDb, schema } from "../storage/db";
import { eraseConversation } from "./conversation-erasure";

const { conversations, messages, erasure_followups } = schema;

/** Messages read from a conversation's object per call while exporting. */
const EXPORT_PAGE_MESSAGES = 500;
/**
 * When the analytics store is swept once more after an erasure: events a conversation queued
 * just before it was erased reach the store within seconds (the queue's batch timeout), so the
 * first scheduled run after this delay finds them.
 */
const FOLLOWUP_DELAY_MS = 5 * MINUTE_MS;

async function visitorConversations(env: Env, workspaceId: string, visitorId: string) {
  return createDb(env.DB)
    .select()
    .from(conversations)
    .where(and(eq(conversations.workspace_id, workspaceId), eq(conversations.visitor_id, visitorId)))
    .orderBy(asc(conversations.created_at), asc(conversations.id))
    .all();
}

async function messagesOf(env: Env, workspaceId: string, conversationId: string): Promise<MessageView[] | null> {
  const stub = await conversationStub(env, workspaceId, conversationId);
  const view = await stub.describe();
  if (!view || view.workspace_id !== workspaceId) return null;
  const out: MessageView[] = [];
  for (let after = 0; ; ) {
    const page = await stub.listMessages(after, EXPORT_PAGE_MESSAGES);
    out.push(...page);
    if (page.length < EXPORT_PAGE_MESSAGES) return out;
    after = page[page.length - 1]!.seq;
  }
}

/** `verified`, and `identity` only when verified, as the Conversation schema shows them. */
function verifiedFields(c: { verified: boolean; identity: VerifiedIdentity | null }): { verified: boolean; identity?: VerifiedIdentity } {
  return c.verified && c.identity ? { verified: true, identity: c.identity } : { verified: false };
}

/** Every conversation and message of a visitor of the workspace, oldest first, and their questions kept as learned phrasings. */
export async function exportVisitor(env: Env, workspaceId: string, visitorId: string): Promise<VisitorExport> {
  const rows = await visitorConversations(env, workspaceId, visitorId);
  const db = createDb(env.DB);
  const out: VisitorExport["conversations"] = [];
  for (const row of rows) {
    const view = await (await conversationStub(env, workspaceId, row.id)).describe();
    // The object is the truth; the D1 copy stands in if the object no longer has it.
    const list =
      (await messagesOf(env, workspaceId, row.id)) ??
      (await db.select().from(messages).where(and(eq(messages.conversation_id, row.id), eq(messages.workspace_id, workspaceId))).orderBy(asc(messages.seq)).all()).map(
        (m): MessageView => ({
          id: m.id,
          conversation_id: m.conversation_id,
          seq: m.seq,
          sender_type: m.sender_type,
          sender_id: m.sender_id,
          sender_name: null, // D1 keeps no display names; the object, when present, has them
          content: m.content,
          status: m.status,
          sources: m.sources as MessageView["sources"],
          confidence: m.confidence,
          tokens_used: m.tokens_used,
          latency_ms: m.latency_ms,
          cost_usd: m.cost_usd,
          model: m.model,
          client_id: m.client_id,
          language: null,
          created_at: m.created_at,
        }),
      );
    out.push({
      id: row.id,
      assistant_id: row.assistant_id,
      channel: row.channel,
      visitor_id: row.visitor_id,
      status: view?.status ?? row.status,
      human_takeover: view?.human_takeover ?? row.human_takeover,
      satisfaction_score: view?.satisfaction_score ?? row.satisfaction_score,
      satisfaction_comment: view ? view.satisfaction_comment : row.satisfaction_comment,
      language: view?.language ?? null,
      metadata: (view?.metadata ?? row.metadata) as Record<string, unknown>,
      ...verifiedFields(view ?? { verified: row.verified, identity: row.identity as VerifiedIdentity | null }),
      created_at: row.created_at,
      updated_at: view?.updated_at ?? row.updated_at,
      messages: list,
    });
  }
  const phrasings = (await visitorPhrasings(env, workspaceId, visitorId)).map(toPhrasing);
  return { visitor_id: visitorId, exported_at: nowIso(), conversations: out, phrasings };
}

/** A stable stand-in for a visitor id in the audit log: proves an erasure without keeping the id. */
export async function visitorFingerprint(workspaceId: string, visitorId: string): Promise<string> {
  return `sha256:${await sha256Hex(`${workspaceId}:${visitorId}`)}`;
}

/** Removes the visitor's analytics events from the configured store, and from D1 when that is not it. */
async function eraseVisitorEvents(env: Env, workspaceId: string, visitorId: string): Promise<number> {
  const sink = createAnalyticsSink(env);
  let removed = await sink.deleteVisitor(workspaceId, visitorId);
  // Events written before Postgres was configured stay in D1: they are the visitor's too.
  if (sink.kind !== "d1") removed += await new D1AnalyticsSink(env.DB).deleteVisitor(workspaceId, visitorId);
  return removed;
}

/**
 * Erases a visitor of the workspace everywhere: each conversation's object, files and D1 rows,
 * their questions kept as learned phrasings, and their analytics events; then audits the
 * erasure by counts. The analytics store is swept
 * once more by the scheduled handler, for events still queued at this moment.
 */
export async function eraseVisitor(
  env: Env,
  principal: Principal,
  visitorId: string,
  ctx: AuditContext = {},
): Promise<VisitorErasure> {
  const workspaceId = principal.workspaceId;
  const rows = await visitorConversations(env, workspaceId, visitorId);
  let messageCount = 0;
  let files = 0;
  for (const row of rows) {
    const erased = await eraseConversation(env, workspaceId, row.id);
    messageCount += erased.messages;
    files += erased.files;
  }
  const phrasings = await eraseVisitorPhrasings(env, workspaceId, visitorId);
  const events = await eraseVisitorEvents(env, workspaceId, visitorId);
  await createDb(env.DB)
    .insert(erasure_followups)
    .values({ id: newId("event"), workspace_id: workspaceId, visitor_id: visitorId, run_after: isoIn(FOLLOWUP_DELAY_MS) })
    .run();
  const result: VisitorErasure = {
    visitor_id: visitorId,
    erased_at: nowIso(),
    conversations: rows.length,
    messages: messageCount,
    attachments: files,
    analytics_events: events,
    phrasings,
  };
  await recordAudit(
    env,
    principal,
    {
      action: "visitor.erased",
      targetType: "visitor",
      targetId: await visitorFingerprint(workspaceId, visitorId),
      metadata: { conversations: result.conversations, messages: result.messages, attachments: files, analytics_events: events, phrasings },
    },
    ctx,
  );
  return result;
}

/** Repeats due visitor erasures on the analytics store, then forgets them. Returns how many ran. */
export async function runErasureFollowups(env: Env, now = new Date(), limit = 100): Promise<number> {
  const db = createDb(env.DB);
  const due = await db.select().from(erasure_followups).where(lte(erasure_followups.run_after, now.toISOString())).limit(limit).all();
  for (const f of due) {
    try {
      await eraseVisitorEvents(env, f.workspace_id, f.visitor_id);
      await db.delete(erasure_followups).where(eq(erasure_followups.id, f.id)).run();
    } catch (err) {
      createLogger({ component: "compliance" }).error("erasure follow-up failed; retrying next run", { error: err });
    }
  }
  return due.length;
}
