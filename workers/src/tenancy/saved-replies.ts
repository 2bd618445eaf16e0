/**
 * A workspace's saved replies: titled texts agents insert into their replies, most used first.
 * Their variables (`{{visitor.name}}`, `{{conversation.link}}`, `{{assistant.name}}`) are filled
 * by `fillSavedReply` when one is used in a conversation.
 */
import { and, asc, desc, eq, or, sql } from "drizzle-orm";
import type { SavedReply } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { decodeCursor, encodeCursor } from "../lib/pagination";
import { nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";

const { saved_replies } = schema;
type SavedReplyRow = typeof saved_replies.$inferSelect;

/** Most saved replies a workspace keeps: a picker, not a knowledge base. */
export const MAX_SAVED_REPLIES = 500;

/** What the variables of a saved reply stand for in one conversation. */
export interface SavedReplyContext {
  visitorName: string | null;
  conversationLink: string;
  assistantName: string;
}

/** The API's view of a row. */
export function toSavedReply(row: SavedReplyRow): SavedReply {
  return { id: row.id, title: row.title, body: row.body, use_count: row.use_count, created_at: row.created_at, updated_at: row.updated_at };
}

/** The body with its variables filled; an unknown visitor's name reads "there" ("Hi there"). */
export function fillSavedReply(body: string, cx: SavedReplyContext): string {
  const values: Record<string, string> = {
    "visitor.name": cx.visitorName?.trim() || "there",
    "conversation.link": cx.conversationLink,
    "assistant.name": cx.assistantName,
  };
  return body.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}

function isTitleTaken(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}

const titleTaken = () => new ApiError("conflict", "a saved reply with this title exists", { field: "title" });

/** LIKE pattern matching `q` anywhere, with LIKE's wildcards taken literally. */
function containing(q: string): string {
  return `%${q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

/**
 * One page of the workspace's saved replies, most used first then by title; `q` narrows to
 * titles or bodies containing it. The cursor carries the offset: the order changes as replies
 * are used, and a workspace holds a few hundred at most.
 */
export async function listSavedReplies(db: Db, workspaceId: string, opts: { q?: string | undefined; limit: number; cursor?: string | undefined }) {
  const offset = Number(decodeCursor(opts.cursor)?.t ?? 0);
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ApiError("invalid_request", "cursor is malformed", { field: "cursor" });
  const q = opts.q?.trim();
  const rows = await db
    .select()
    .from(saved_replies)
    .where(
      and(
        eq(saved_replies.workspace_id, workspaceId),
        q ? or(sql`${saved_replies.title} LIKE ${containing(q)} ESCAPE '\\'`, sql`${saved_replies.body} LIKE ${containing(q)} ESCAPE '\\'`) : undefined,
      ),
    )
    .orderBy(desc(saved_replies.use_count), asc(sql`${saved_replies.title} COLLATE NOCASE`), asc(saved_replies.id))
    .limit(opts.limit + 1)
    .offset(offset)
    .all();
  const hasMore = rows.length > opts.limit;
  const data = rows.slice(0, opts.limit);
  const last = data.at(-1);
  return { data, next_cursor: hasMore && last ? encodeCursor({ t: String(offset + data.length), id: last.id }) : null };
}

/** A saved reply of the workspace; 404 for any other id. */
export async function getSavedReply(db: Db, workspaceId: string, id: string): Promise<SavedReplyRow> {
  const row = await db
    .select()
    .from(saved_replies)
    .where(and(eq(saved_replies.id, id), eq(saved_replies.workspace_id, workspaceId)))
    .get();
  if (!row) throw new ApiError("not_found", "saved reply not found");
  return row;
}

/** Saves a new reply; 409 when the title is taken or the workspace holds the most it may. */
export async function createSavedReply(db: Db, workspaceId: string, input: { title: string; body: string; createdBy: string }): Promise<SavedReplyRow> {
  const count = await db
    .select({ n: sql<number>`count(*)` })
    .from(saved_replies)
    .where(eq(saved_replies.workspace_id, workspaceId))
    .get();
  if ((count?.n ?? 0) >= MAX_SAVED_REPLIES) {
    throw new ApiError("conflict", `a workspace keeps at most ${MAX_SAVED_REPLIES} saved replies; delete some first`, { limit: MAX_SAVED_REPLIES });
  }
  const now = nowIso();
  try {
    return await db
      .insert(saved_replies)
      .values({ id: newId("savedReply"), workspace_id: workspaceId, title: input.title, body: input.body, created_by: input.createdBy, created_at: now, updated_at: now })
      .returning()
      .get();
  } catch (err) {
    if (isTitleTaken(err)) throw titleTaken();
    throw err;
  }
}

/** Changes a reply's title or body. */
export async function updateSavedReply(db: Db, workspaceId: string, id: string, changes: { title?: string | undefined; body?: string | undefined }): Promise<SavedReplyRow> {
  await getSavedReply(db, workspaceId, id);
  const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
  try {
    return (await db
      .update(saved_replies)
      .set({ ...set, updated_at: nowIso() })
      .where(and(eq(saved_replies.id, id), eq(saved_replies.workspace_id, workspaceId)))
      .returning()
      .get())!;
  } catch (err) {
    if (isTitleTaken(err)) throw titleTaken();
    throw err;
  }
}

/** Deletes a reply. */
export async function deleteSavedReply(db: Db, workspaceId: string, id: string): Promise<void> {
  await getSavedReply(db, workspaceId, id);
  await db.delete(saved_replies).where(and(eq(saved_replies.id, id), eq(saved_replies.workspace_id, workspaceId))).run();
}

/** Counts one use of a reply and returns it. */
export async function countSavedReplyUse(db: Db, workspaceId: string, id: string): Promise<SavedReplyRow> {
  const row = await db
    .update(saved_replies)
    .set({ use_count: sql`${saved_replies.use_count} + 1` })
    .where(and(eq(saved_replies.id, id), eq(saved_replies.workspace_id, workspaceId)))
    .returning()
    .get();
  if (!row) throw new ApiError("not_found", "saved reply not found");
  return row;
}
