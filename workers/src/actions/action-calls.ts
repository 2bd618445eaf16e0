/**
 * The call log of actions: every test, procedure and model call, with redacted arguments and
 * results, its status, error and timing, listed newest first per action.
 */
import { and, desc, eq } from "drizzle-orm";
import type { ActionCall } from "../../../schema/api";
import { newId } from "../lib/ids";
import { olderThan, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { getActionRow, type ActionRow } from "./action-store";

const { action_calls } = schema;
type CallRow = typeof action_calls.$inferSelect;

/** Where a call came from. */
export type CallSource = CallRow["source"];

/** A call to store; arguments and result must already be redacted. */
export interface CallRecord {
  /** The id to store the call under, when the caller announced it before the call ran. */
  id?: string;
  action: Pick<ActionRow, "id" | "workspace_id" | "assistant_id" | "name">;
  conversationId: string | null;
  source: CallSource;
  status: CallRow["status"];
  arguments: Record<string, unknown>;
  result?: unknown;
  error: string | null;
  httpStatus: number | null;
  latencyMs: number;
}

/** A fresh id for a call, for announcing it (`running`) before it runs. */
export function newCallId(): string {
  return newId("actionCall");
}

/** Stores one call and returns its id (the `call_id` conversations show). */
export async function recordCall(db: Db, call: CallRecord): Promise<{ id: string; created_at: string }> {
  const id = call.id ?? newCallId();
  const created_at = nowIso();
  await db
    .insert(action_calls)
    .values({
      id,
      workspace_id: call.action.workspace_id,
      action_id: call.action.id,
      assistant_id: call.action.assistant_id,
      conversation_id: call.conversationId,
      source: call.source,
      status: call.status,
      arguments: call.arguments,
      result: call.result === undefined ? null : call.result,
      error: call.error,
      http_status: call.httpStatus,
      latency_ms: Math.max(0, Math.round(call.latencyMs)),
      created_at,
    })
    .run();
  return { id, created_at };
}

function toCall(row: CallRow, name: string): ActionCall {
  return {
    id: row.id,
    action_id: row.action_id,
    name,
    conversation_id: row.conversation_id,
    source: row.source,
    status: row.status,
    arguments: row.arguments as Record<string, unknown>,
    ...(row.result !== null ? { result: row.result } : {}),
    error: row.error,
    http_status: row.http_status,
    latency_ms: row.latency_ms,
    created_at: row.created_at,
  };
}

/** One page of an action's calls, newest first; `failed` keeps only failures. 404 for another workspace's action. */
export async function listCalls(db: Db, workspaceId: string, actionId: string, opts: { limit: number; cursor?: string | undefined; status?: CallRow["status"] | undefined }) {
  const action = await getActionRow(db, workspaceId, actionId);
  const rows = await db
    .select()
    .from(action_calls)
    .where(
      and(
        eq(action_calls.workspace_id, workspaceId),
        eq(action_calls.action_id, action.id),
        opts.status ? eq(action_calls.status, opts.status) : undefined,
        olderThan(action_calls.created_at, action_calls.id, opts.cursor),
      ),
    )
    .orderBy(desc(action_calls.created_at), desc(action_calls.id))
    .limit(opts.limit + 1)
    .all();
  const page = toPage(rows, opts.limit, (r) => r.created_at);
  return { data: page.data.map((r) => toCall(r, action.name)), next_cursor: page.next_cursor };
}
