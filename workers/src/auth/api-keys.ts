import { and, desc, eq, isNull, or, sql } from "drizzle-orm";
import { DEFAULT_KEY_EXPIRY_DAYS, type ApiKey } from "../../../schema/api";
import { notFound } from "../lib/errors";
import { sha256Hex } from "../lib/crypto";
import { newId, randomBase62 } from "../lib/ids";
import { olderThan, toPage } from "../lib/pagination";
import { DAY_MS, isoIn, nowIso, SECOND_MS } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";

const { api_keys } = schema;

/** Random part of a key: 32 base62 characters ≈ 190 bits, beyond any guessing. */
const KEY_RANDOM_CHARS = 32;
/** Characters of the key shown in lists so people can tell keys apart (`sk_live_AbCd`). */
const KEY_PREFIX_CHARS = 12;
/** `last_used_at` is refreshed at most this often, so hot keys do not write on every call. */
const LAST_USED_RESOLUTION_MS = 60 * SECOND_MS;

export const SECRET_KEY_PREFIX = "sk_live_";
export const PUBLISHABLE_KEY_PREFIX = "pk_live_";

type KeyRow = typeof api_keys.$inferSelect;

/** The public view of a key row: never its hash. */
export function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    scope: row.scope,
    prefix: row.prefix,
    assistant_id: row.assistant_id,
    allowed_origins: row.allowed_origins,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
    created_at: row.created_at,
  };
}

function mintKey(type: "secret" | "publishable"): string {
  return (type === "secret" ? SECRET_KEY_PREFIX : PUBLISHABLE_KEY_PREFIX) + randomBase62(KEY_RANDOM_CHARS);
}

/** What a new key is for. */
export type NewKey =
  | { type: "secret"; name: string; scope: "admin" | "manager" | "viewer"; expiresInDays?: number }
  | { type: "publishable"; name: string; assistantId: string; allowedOrigins: string[] };

/** Creates a key and returns its row and the full key, which is never retrievable again. */
export async function createApiKey(db: Db, workspaceId: string, input: NewKey, createdBy: string | null) {
  const key = mintKey(input.type);
  const row = await db
    .insert(api_keys)
    .values({
      id: newId("key"),
      workspace_id: workspaceId,
      name: input.name,
      type: input.type,
      scope: input.type === "secret" ? input.scope : "widget",
      key_hash: await sha256Hex(key),
      prefix: key.slice(0, KEY_PREFIX_CHARS),
      assistant_id: input.type === "publishable" ? input.assistantId : null,
      allowed_origins: input.type === "publishable" ? input.allowedOrigins : [],
      // Publishable keys sit in public pages and are bound to origins; they do not expire.
      expires_at: input.type === "secret" ? isoIn((input.expiresInDays ?? DEFAULT_KEY_EXPIRY_DAYS) * DAY_MS) : null,
      created_by: createdBy,
    })
    .returning()
    .get();
  return { row, key };
}

/** One page of the workspace's keys, newest first, revoked ones included. */
export async function listApiKeys(db: Db, workspaceId: string, limit: number, cursor?: string) {
  const rows = await db
    .select()
    .from(api_keys)
    .where(
      and(
        eq(api_keys.workspace_id, workspaceId),
        olderThan(api_keys.created_at, api_keys.id, cursor),
      ),
    )
    .orderBy(desc(api_keys.created_at), desc(api_keys.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

/** A key of this workspace, or 404. */
export async function getApiKey(db: Db, workspaceId: string, id: string): Promise<KeyRow> {
  const row = await db
    .select()
    .from(api_keys)
    .where(and(eq(api_keys.id, id), eq(api_keys.workspace_id, workspaceId)))
    .get();
  if (!row) throw notFound("api key");
  return row;
}

/**
 * Replaces the key's secret. The old one stops working at once, or after `overlapSeconds`
 * so a deployment can switch keys without downtime. Revoked keys cannot be rotated.
 */
export async function rotateApiKey(db: Db, workspaceId: string, id: string, overlapSeconds: number) {
  const existing = await getApiKey(db, workspaceId, id);
  if (existing.revoked_at) throw notFound("api key");
  const key = mintKey(existing.type);
  const row = await db
    .update(api_keys)
    .set({
      key_hash: await sha256Hex(key),
      prefix: key.slice(0, KEY_PREFIX_CHARS),
      previous_key_hash: overlapSeconds > 0 ? existing.key_hash : null,
      previous_expires_at: overlapSeconds > 0 ? isoIn(overlapSeconds * SECOND_MS) : null,
      expires_at:
        existing.type === "secret" && existing.expires_at
          ? isoIn(Math.max(Date.parse(existing.expires_at) - Date.parse(existing.created_at), DAY_MS))
          : existing.expires_at,
      updated_at: nowIso(),
    })
    .where(and(eq(api_keys.id, id), eq(api_keys.workspace_id, workspaceId)))
    .returning()
    .get();
  return { row: row!, key };
}

/** Revokes a key at once; idempotent. */
export async function revokeApiKey(db: Db, workspaceId: string, id: string): Promise<KeyRow> {
  await getApiKey(db, workspaceId, id);
  const row = await db
    .update(api_keys)
    .set({ revoked_at: sql`coalesce(${api_keys.revoked_at}, ${nowIso()})`, previous_key_hash: null, updated_at: nowIso() })
    .where(and(eq(api_keys.id, id), eq(api_keys.workspace_id, workspaceId)))
    .returning()
    .get();
  return row!;
}

/**
 * The live key row for a presented key, or null when unknown, revoked or expired. Checked
 * against the database on every call, so a revocation takes effect on the next request.
 */
export async function verifyApiKey(db: Db, presented: string): Promise<KeyRow | null> {
  if (!presented.startsWith(SECRET_KEY_PREFIX) && !presented.startsWith(PUBLISHABLE_KEY_PREFIX)) return null;
  const hash = await sha256Hex(presented);
  const now = nowIso();
  const row = await db
    .select()
    .from(api_keys)
    .where(
      and(
        or(
          eq(api_keys.key_hash, hash),
          and(eq(api_keys.previous_key_hash, hash), sql`${api_keys.previous_expires_at} > ${now}`),
        ),
        isNull(api_keys.revoked_at),
      ),
    )
    .get();
  if (!row) return null;
  if (row.expires_at && row.expires_at <= now) return null;
  return row;
}

/** Records use of a key, at most once a minute per key. */
export async function touchApiKey(db: Db, row: KeyRow): Promise<void> {
  if (row.last_used_at && Date.now() - Date.parse(row.last_used_at) < LAST_USED_RESOLUTION_MS) return;
  await db.update(api_keys).set({ last_used_at: nowIso() }).where(eq(api_keys.id, row.id)).run();
}
