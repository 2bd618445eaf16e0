import { and, eq, isNull } from "drizzle-orm";
import type { User, Workspace } from "../../../schema/api";
import { notFound } from "../http/errors";
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
