/** `POST /actions/:id/test`: one call of an action with sample arguments, logged like any other. */
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import type { ActionTestBody, ActionTestResultSchema } from "../../../schema/api";
import { createDb, schema } from "../storage/db";
import { getActionRow } from "./action-store";
import { runAction, type RunEnv, type RunOptions } from "./run-action";

/** Runs the action once for an admin and answers with the outcome and the stored call. */
export async function testAction(
  env: RunEnv,
  workspaceId: string,
  actionId: string,
  body: z.output<typeof ActionTestBody>,
  opts: RunOptions = {},
): Promise<z.infer<typeof ActionTestResultSchema>> {
  const db = createDb(env.DB);
  const action = await getActionRow(db, workspaceId, actionId);
  const { record } = await runAction(env, action, { arguments: body.arguments, identity: body.identity ?? null }, { source: "test", conversationId: null }, opts);
  const stored = await db
    .select()
    .from(schema.action_calls)
    .where(and(eq(schema.action_calls.id, record.call_id), eq(schema.action_calls.workspace_id, workspaceId)))
    .get();
  return {
    status: record.status,
    ...(record.status === "done" ? { result: record.result } : { error: record.error ?? "failed" }),
    call: {
      id: record.call_id,
      action_id: action.id,
      name: action.name,
      conversation_id: null,
      source: "test",
      status: record.status,
      arguments: record.arguments,
      ...(record.result !== undefined ? { result: record.result } : {}),
      error: record.error ?? null,
      http_status: stored?.http_status ?? null,
      latency_ms: stored?.latency_ms ?? 0,
      created_at: stored?.created_at ?? new Date().toISOString(),
    },
  };
}
