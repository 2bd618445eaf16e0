/**
 * Metered usage per workspace and calendar month (UTC): conversations started and API calls in
 * a small D1 counter, tokens and estimated model cost from the analytics events.
 */
import { and, count, eq, isNull, sql } from "drizzle-orm";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { flushApiCalls } from "./api-call-meter";
import { usagePeriod, type UsagePeriod } from "./usage-period";

const { usage_counters, assistants, kb_documents } = schema;

export { usagePeriod, type UsagePeriod } from "./usage-period";

/**
 * Counts one more conversation this month if the count is below `limit` (null: no limit), in
 * one statement, so concurrent starts cannot both take the last one. False when the limit is
 * reached.
 */
export async function reserveConversation(db: Db, workspaceId: string, limit: number | null, at = new Date()): Promise<boolean> {
  const { period } = usagePeriod(at);
  const row = await db
    .insert(usage_counters)
    .values({ workspace_id: workspaceId, period, conversations: 1 })
    .onConflictDoUpdate({
      target: [usage_counters.workspace_id, usage_counters.period],
      set: { conversations: sql`${usage_counters.conversations} + 1`, updated_at: nowIso() },
      ...(limit === null ? {} : { setWhere: sql`${usage_counters.conversations} < ${limit}` }),
    })
    .returning({ conversations: usage_counters.conversations })
    .get();
  return row !== undefined;
}

/** Gives back a reserved conversation that could not be started. */
export async function releaseConversation(db: Db, workspaceId: string, at = new Date()): Promise<void> {
  await db
    .update(usage_counters)
    .set({ conversations: sql`max(${usage_counters.conversations} - 1, 0)` })
    .where(and(eq(usage_counters.workspace_id, workspaceId), eq(usage_counters.period, usagePeriod(at).period)))
    .run();
}

/**
 * This month's counters of a workspace as D1 has them: API calls this isolate still holds are
 * not in `api_calls` yet (`monthUsage` writes them first).
 */
export async function monthCounters(db: Db, workspaceId: string, at = new Date()) {
  const row = await db
    .select({ conversations: usage_counters.conversations, api_calls: usage_counters.api_calls })
    .from(usage_counters)
    .where(and(eq(usage_counters.workspace_id, workspaceId), eq(usage_counters.period, usagePeriod(at).period)))
    .get();
  return { conversations: row?.conversations ?? 0, api_calls: row?.api_calls ?? 0 };
}

/** Live assistants of a workspace. */
export async function liveAssistants(db: Db, workspaceId: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(assistants)
    .where(and(eq(assistants.workspace_id, workspaceId), isNull(assistants.deleted_at)))
    .get();
  return row?.n ?? 0;
}

/** Live knowledge-base documents of a workspace, across its assistants. */
export async function liveDocuments(db: Db, workspaceId: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(kb_documents)
    .where(and(eq(kb_documents.workspace_id, workspaceId), isNull(kb_documents.deleted_at)))
    .get();
  return row?.n ?? 0;
}

/** Everything the billing page shows as usage for the current month. */
export interface MonthUsage {
  period: UsagePeriod;
  conversations: number;
  api_calls: number;
  tokens: number;
  estimated_cost_usd: number;
  assistants: number;
  documents: number;
}

/**
 * The model tokens and their estimated cost in a period, read from the analytics events by the
 * caller (analytics sits above billing: the plans' limits are read by the analytics room).
 */
export type ModelUsageReader = (period: UsagePeriod) => Promise<{ tokens: number; estimated_cost_usd: number }>;

/** The workspace's usage this month. */
export async function monthUsage(db: Db, workspaceId: string, modelUsage: ModelUsageReader, at = new Date()): Promise<MonthUsage> {
  const period = usagePeriod(at);
  await flushApiCalls(db); // the calls this isolate counted, so the page shows every one of them
  const [counters, summary, assistantCount, documentCount] = await Promise.all([
    monthCounters(db, workspaceId, at),
    modelUsage(period),
    liveAssistants(db, workspaceId),
    liveDocuments(db, workspaceId),
  ]);
  return {
    period,
    conversations: counters.conversations,
    api_calls: counters.api_calls,
    tokens: summary.tokens,
    estimated_cost_usd: summary.estimated_cost_usd,
    assistants: assistantCount,
    documents: documentCount,
  };
}
