import { and, eq, lt, or, type AnyColumn, type SQL } from "drizzle-orm";
import { ApiError } from "./errors";
import { fromBase64Url, toBase64Url } from "./crypto";

/** Where a page ended: the sort key and id of its last row. */
export interface Cursor {
  t: string;
  id: string;
}

/** Opaque cursor string for the row after which the next page starts. */
export function encodeCursor(c: Cursor): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([c.t, c.id])));
}

/** Parses a cursor from `?cursor=`; a tampered one is a 400, never a query. */
export function decodeCursor(raw: string | undefined): Cursor | undefined {
  if (!raw) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(raw)));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return { t: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new ApiError("invalid_request", "cursor is malformed", { field: "cursor" });
}

/**
 * Cuts `rows` (fetched with `limit + 1`) to one page and builds the cursor for the next.
 * `key` names the sort column the cursor carries.
 */
export function toPage<T extends { id: string }>(rows: T[], limit: number, key: (row: T) => string) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  const last = data[data.length - 1];
  return { data, next_cursor: hasMore && last ? encodeCursor({ t: key(last), id: last.id }) : null };
}

/**
 * The keyset condition "rows after the cursor" for lists sorted by `sortCol` then `idCol`,
 * both descending; undefined on the first page. Pair it with `toPage`.
 */
export function olderThan(sortCol: AnyColumn, idCol: AnyColumn, cursor: string | undefined): SQL | undefined {
  const after = decodeCursor(cursor);
  if (!after) return undefined;
  return or(lt(sortCol, after.t), and(eq(sortCol, after.t), lt(idCol, after.id)));
}
