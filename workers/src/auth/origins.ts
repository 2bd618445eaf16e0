import { and, eq, isNull, sql } from "drizzle-orm";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";

const { assistants } = schema;

/** The origins an assistant's widget may be embedded on; none for a deleted assistant. */
export async function getAssistantOrigins(db: Db, assistantId: string): Promise<string[]> {
  const row = await db
    .select({ allowed_origins: assistants.allowed_origins })
    .from(assistants)
    .where(and(eq(assistants.id, assistantId), isNull(assistants.deleted_at)))
    .get();
  return row?.allowed_origins ?? [];
}

/**
 * True when some live assistant allows `origin`. Answers CORS preflights, which carry no
 * credentials; the real request is then checked against its own key's list.
 */
export async function isKnownWidgetOrigin(db: Db, origin: string): Promise<boolean> {
  const row = await db
    .select({ one: sql<number>`1` })
    .from(assistants)
    .where(
      and(
        isNull(assistants.deleted_at),
        sql`exists (select 1 from json_each(${assistants.allowed_origins}) where json_each.value = ${origin})`,
      ),
    )
    .limit(1)
    .get();
  return row !== undefined;
}
