/**
 * Erasing a closed workspace from every store. Closing (`DELETE /api/v1/workspace`) signs
 * everyone out and revokes every key at once; this then removes the data itself, in passes the
 * scheduled handler repeats until nothing is left: the Stripe subscription is canceled, each
 * conversation's object and files erased, knowledge vectors, keyword rows, embedding caches and
 * files removed, analytics events and audit entries deleted, and finally every D1 row that
 * carries the workspace's id, the workspace's own row last. One audit entry, with counts only,
 * records the erasure.
 */
import { isNotNull } from "drizzle-orm";
import { D1AnalyticsSink } from "../analytics/d1-sink";
import { createAnalyticsSink } from "../analytics/create-sink";
import { cancelSubscriptionNow } from "../billing/stripe-sessions";
import { deletePrefix } from "../knowledge/documents";
import { removeAssistantIndex } from "../knowledge/index-chunks";
import { newId } from "../lib/ids";
import { createLogger } from "../lib/logger";
import { nowIso } from "../lib/time";
import { createDb, schema } from "../storage/db";
import { eraseConversation } from "./conversation-erasure";
import { workspacePlace } from "../storage/data-region";

/** Conversations erased per pass; the next scheduled run continues a larger workspace. */
const CONVERSATIONS_PER_PASS = 200;
/** Closed workspaces looked at per scheduled run. */
const WORKSPACES_PER_RUN = 5;
/** Tables SQLite and D1 keep for themselves, never swept. */
const INTERNAL_TABLE = /^(sqlite_|_cf_|d1_|kb_chunks_fts)/;

const logger = createLogger({ component: "compliance" });

/** What one pass did: whether the workspace is gone, and what was removed so far. */
export interface WorkspaceErasure {
  complete: boolean;
  conversations: number;
  messages: number;
  files: number;
  subscription_canceled: boolean;
}

/**
 * D1 tables with a `workspace_id` column, found from the schema itself, so a table added
 * later is erased too without anyone remembering to list it here.
 */
async function tablesWithWorkspaceId(d1: D1Database): Promise<string[]> {
  const { results } = await d1
    .prepare("select name from sqlite_master where type = 'table'")
    .all<{ name: string }>();
  const names = results.map((r) => r.name).filter((n) => !INTERNAL_TABLE.test(n) && /^\w+$/.test(n));
  const out: string[] = [];
  for (const name of names) {
    const { results: cols } = await d1.prepare(`select name from pragma_table_info(?)`).bind(name).all<{ name: string }>();
    if (cols.some((c) => c.name === "workspace_id")) out.push(name);
  }
  return out;
}

/** Erases one closed workspace, as far as one pass goes; call again until `complete`. */
export async function eraseWorkspace(env: Env, workspaceId: string): Promise<WorkspaceErasure> {
  const d1 = env.DB;
  const subscriptionCanceled = await cancelSubscriptionNow(env, createDb(d1), workspaceId);

  const { results: convs } = await d1
    .prepare("select id from conversations where workspace_id = ? limit ?")
    .bind(workspaceId, CONVERSATIONS_PER_PASS + 1)
    .all<{ id: string }>();
  let messages = 0;
  let files = 0;
  for (const c of convs.slice(0, CONVERSATIONS_PER_PASS)) {
    const erased = await eraseConversation(env, workspaceId, c.id);
    messages += erased.messages;
    files += erased.files;
  }
  const progress = { conversations: Math.min(convs.length, CONVERSATIONS_PER_PASS), messages, files, subscription_canceled: subscriptionCanceled };
  if (convs.length > CONVERSATIONS_PER_PASS) return { complete: false, ...progress };

  // Knowledge: vectors and keyword rows per assistant (deleted ones too), each assistant's
  // index object with its embedding cache, then every file left under the workspace.
  const { results: assistants } = await d1.prepare("select id from assistants where workspace_id = ?").bind(workspaceId).all<{ id: string }>();
  for (const a of assistants) {
    await removeAssistantIndex(env, workspaceId, a.id);
    await (await workspacePlace(env, workspaceId)).vectors.getByName(a.id).deleteAll();
  }
  progress.files += await deletePrefix((await workspacePlace(env, workspaceId)).files, `ws/${workspaceId}/`);

  const sink = createAnalyticsSink(env);
  await sink.deleteWorkspace(workspaceId);
  if (sink.kind !== "d1") await new D1AnalyticsSink(d1).deleteWorkspace(workspaceId);

  // Every row that carries the workspace id, in one transaction; foreign keys are checked at
  // its end, so the order of the tables does not matter.
  const tables = await tablesWithWorkspaceId(d1);
  await d1.batch([
    d1.prepare("pragma defer_foreign_keys = on"),
    ...tables.map((t) => d1.prepare(`delete from "${t}" where workspace_id = ?`).bind(workspaceId)),
    d1.prepare("delete from workspaces where id = ?").bind(workspaceId),
  ]);

  await sink.writeAudit([
    {
      id: newId("audit"),
      workspace_id: workspaceId,
      actor_type: "system",
      actor_id: null,
      action: "workspace.erased",
      target_type: "workspace",
      target_id: workspaceId,
      metadata: { ...progress, tables: tables.length },
      ip: null,
      request_id: null,
      created_at: nowIso(),
    },
  ]);
  return { complete: true, ...progress };
}

/** Continues erasing closed workspaces; returns how many were fully erased in this run. */
export async function eraseClosedWorkspaces(env: Env): Promise<number> {
  const closed = await createDb(env.DB)
    .select({ id: schema.workspaces.id })
    .from(schema.workspaces)
    .where(isNotNull(schema.workspaces.deleted_at))
    .limit(WORKSPACES_PER_RUN)
    .all();
  let done = 0;
  for (const { id } of closed) {
    try {
      const result = await eraseWorkspace(env, id);
      if (result.complete) done += 1;
      logger.info("workspace erasure pass", { workspace_id: id, ...result });
    } catch (err) {
      // Left closed: the next run tries again (a Stripe outage must not leave it billed).
      logger.error("workspace erasure failed; retrying next run", { workspace_id: id, error: err });
    }
  }
  return done;
}
