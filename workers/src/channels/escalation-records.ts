/**
 * The D1 side of escalation delivery: which provider holds the ticket, the last delivery
 * error, who resolved it. The conversation's Durable Object owns the escalation itself and
 * copies it to D1 through its outbox; these columns are written here, and the outbox's upsert
 * leaves them alone.
 */
import { and, desc, eq, isNotNull, isNull, type SQL } from "drizzle-orm";
import { olderThan, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import { conversationStub } from "../conversation/service";
import { createDb, schema } from "../storage/db";

/** Makes sure the escalation's row is in D1 (the outbox may not have flushed yet). */
async function ensureCopied(env: Env, workspaceId: string, conversationId: string): Promise<void> {
  await (await conversationStub(env, workspaceId, conversationId)).flushNow();
}

/** Records the outcome of a delivery attempt: the error (null when it worked) and the ticket's provider. */
export async function recordEscalationDelivery(
  env: Env,
  e: { workspaceId: string; conversationId: string; escalationId: string },
  outcome: { lastError: string | null; ticketProvider?: string | undefined },
): Promise<void> {
  await ensureCopied(env, e.workspaceId, e.conversationId);
  const { escalations: t } = schema;
  await createDb(env.DB)
    .update(t)
    .set({
      last_error: outcome.lastError === null ? null : outcome.lastError.slice(0, 1_000),
      ...(outcome.ticketProvider ? { ticket_provider: outcome.ticketProvider } : {}),
      updated_at: nowIso(),
    })
    .where(and(eq(t.id, e.escalationId), eq(t.workspace_id, e.workspaceId)));
}

/** Records who resolved an escalation (a Zendesk agent). */
export async function recordEscalationResolver(env: Env, workspaceId: string, conversationId: string, resolvedBy: string): Promise<void> {
  await ensureCopied(env, workspaceId, conversationId);
  const { escalations: t } = schema;
  await createDb(env.DB)
    .update(t)
    .set({ resolved_by: resolvedBy.slice(0, 200) })
    .where(and(eq(t.workspace_id, workspaceId), eq(t.conversation_id, conversationId), eq(t.status, "resolved"), isNull(t.resolved_by)));
}

/** The escalation (and its conversation) a provider's ticket belongs to, in this workspace. */
export async function findEscalationByTicket(env: Env, workspaceId: string, provider: string, ticketId: string) {
  const { escalations: t } = schema;
  return createDb(env.DB)
    .select({ id: t.id, conversation_id: t.conversation_id, status: t.status })
    .from(t)
    .where(and(eq(t.workspace_id, workspaceId), eq(t.ticket_provider, provider), eq(t.ticket_id, ticketId)))
    .orderBy(desc(t.created_at))
    .get();
}

/** Filters of the escalation list. */
export interface EscalationFilters {
  status?: "open" | "resolved" | undefined;
  conversation_id?: string | undefined;
  /** Only escalations whose last delivery failed. */
  failed?: boolean | undefined;
}

/** One page of the workspace's escalations, newest first, with their delivery state. */
export async function listEscalations(env: Env, workspaceId: string, f: EscalationFilters, limit: number, cursor?: string) {
  const { escalations: t } = schema;
  const conditions: (SQL | undefined)[] = [
    eq(t.workspace_id, workspaceId),
    f.status ? eq(t.status, f.status) : undefined,
    f.conversation_id ? eq(t.conversation_id, f.conversation_id) : undefined,
    f.failed === true ? isNotNull(t.last_error) : undefined,
    olderThan(t.created_at, t.id, cursor),
  ];
  const rows = await createDb(env.DB)
    .select()
    .from(t)
    .where(and(...conditions))
    .orderBy(desc(t.created_at), desc(t.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

