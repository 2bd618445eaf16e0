/**
 * A workspace's own settings (name, company, data retention) and its closing: the danger zone
 * of the dashboard's settings page.
 */
import { and, eq, isNull } from "drizzle-orm";
import { ApiError } from "../lib/errors";
import { nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { getWorkspace } from "./workspaces";

const { workspaces, users, refresh_tokens, api_keys } = schema;

/** Fields an admin may change. */
export interface WorkspaceChanges {
  name?: string | undefined;
  company_name?: string | null | undefined;
  retention_days?: number | null | undefined;
}

/** Applies `changes` to the workspace and returns the new row. */
export async function updateWorkspace(db: Db, workspaceId: string, changes: WorkspaceChanges) {
  await getWorkspace(db, workspaceId);
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  return (await db
    .update(workspaces)
    .set({ ...set, updated_at: nowIso() })
    .where(and(eq(workspaces.id, workspaceId), isNull(workspaces.deleted_at)))
    .returning()
    .get())!;
}

/**
 * Closes a workspace: it and its members are marked deleted, every session ends and every API
 * key is revoked, at once, in one batch. The typed name must match, as a guard against slips.
 */
export async function closeWorkspace(db: Db, workspaceId: string, confirmName: string): Promise<void> {
  const workspace = await getWorkspace(db, workspaceId);
  if (confirmName.trim() !== workspace.name) {
    throw new ApiError("invalid_request", "type the workspace's exact name to confirm", { field: "confirm_name" });
  }
  const now = nowIso();
  await db.batch([
    db.update(workspaces).set({ deleted_at: now, updated_at: now }).where(eq(workspaces.id, workspaceId)),
    db
      .update(users)
      .set({ deleted_at: now, updated_at: now })
      .where(and(eq(users.workspace_id, workspaceId), isNull(users.deleted_at))),
    db
      .update(refresh_tokens)
      .set({ revoked_at: now })
      .where(and(eq(refresh_tokens.workspace_id, workspaceId), isNull(refresh_tokens.revoked_at))),
    db
      .update(api_keys)
      .set({ revoked_at: now, updated_at: now })
      .where(and(eq(api_keys.workspace_id, workspaceId), isNull(api_keys.revoked_at))),
  ]);
}
