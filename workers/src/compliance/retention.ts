/**
 * Data retention: a workspace with `retention_days` set keeps a conversation for that many days
 * after its last activity, then erases it everywhere (object, files, D1 rows). A conversation
 * still going on is never cut off because it began long ago.
 */
import { createLogger } from "../lib/logger";
import { newId } from "../lib/ids";
import { createAnalyticsSink } from "../analytics/create-sink";
import { eraseConversation } from "./conversation-erasure";

/** Conversations erased per scheduled run; the rest wait for the next run. */
const RETENTION_CONVERSATIONS_PER_RUN = 200;

/** Erases conversations past their workspace's retention; returns how many. */
export async function enforceRetention(env: Env, now = new Date(), limit = RETENTION_CONVERSATIONS_PER_RUN): Promise<number> {
  const { results } = await env.DB.prepare(
    `select c.id, c.workspace_id from conversations c join workspaces w on w.id = c.workspace_id
     where w.retention_days is not null and w.deleted_at is null
       and c.updated_at < strftime('%Y-%m-%dT%H:%M:%fZ', ?1, '-' || w.retention_days || ' days')
     order by c.updated_at limit ?2`,
  )
    .bind(now.toISOString(), limit)
    .all<{ id: string; workspace_id: string }>();

  const perWorkspace = new Map<string, number>();
  for (const c of results) {
    try {
      await eraseConversation(env, c.workspace_id, c.id);
      perWorkspace.set(c.workspace_id, (perWorkspace.get(c.workspace_id) ?? 0) + 1);
    } catch (err) {
      createLogger({ component: "compliance" }).error("retention erasure failed; retrying next run", { conversation_id: c.id, error: err });
    }
  }
  if (perWorkspace.size > 0) {
    const at = now.toISOString();
    await createAnalyticsSink(env).writeAudit(
      [...perWorkspace].map(([workspaceId, count]) => ({
        id: newId("audit"),
        workspace_id: workspaceId,
        actor_type: "system" as const,
        actor_id: null,
        action: "conversations.expired",
        target_type: "workspace",
        target_id: workspaceId,
        metadata: { conversations: count, reason: "retention" },
        ip: null,
        request_id: null,
        created_at: at,
      })),
    );
  }
  return results.length;
}
