import { and, eq, isNull } from "drizzle-orm";
import type { User, Workspace } from "../../../schema/api";
import { notFound } from "../lib/errors";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";

const { workspaces, users } = schema;

type WorkspaceRow = typeof workspaces.$inferSelect;
type UserRow = typeof users.$inferSelect;

/** Public view of a workspace row. */
export function toWorkspace(row: WorkspaceRow): Workspace {
  return {
    id: row.id,
    name: row.name,
    company_name: row.company_name,
    plan: row.plan,
    retention_days: row.retention_days,
    data_region: row.data_region,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Public view of a user row: never the password hash. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    workspace_id: row.workspace_id,
    email: row.email,
    name: row.name,
    role: row.role,
    created_at: row.created_at,
  };
}

/** A live (not deleted) workspace, or 404. */
export async function getWorkspace(db: Db, id: string): Promise<WorkspaceRow> {
  const row = await db
    .select()
    .from(workspaces)
    .where(and(eq(workspaces.id, id), isNull(workspaces.deleted_at)))
    .get();
  if (!row) throw notFound("workspace");
  return row;
}

/**
 * The name a visitor sees beside a staff member's replies: the user's own display name, or
 * null (the widget then says "Support agent") — never their email, which is not the visitor's
 * to see. API keys have no person behind them, so they get null too.
 */
export async function agentDisplayName(db: Db, workspaceId: string, agentId: string): Promise<string | null> {
  if (!agentId.startsWith("usr_")) return null;
  const row = await db
    .select({ name: users.name })
    .from(users)
    .where(and(eq(users.id, agentId), eq(users.workspace_id, workspaceId)))
    .get();
  return row?.name?.trim() || null;
}
