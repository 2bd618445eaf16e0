/**
 * What a staff member behind a conversation token may still do. Conversation tokens live for
 * hours, but roles change, members leave and keys are revoked or rotated: every use of a staff
 * token that matters asks the database again, so those changes apply at once.
 */
import { and, eq, isNull } from "drizzle-orm";
import { sha256Hex } from "../lib/crypto";
import { ID_PREFIX } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { ROLES, roleAtLeast, type Role } from "./principal";
import { findActiveUser } from "./sessions";

/** Hex characters of a key's SHA-256 a conversation token keeps: 64 bits tell key values apart. */
const KEY_FINGERPRINT_HEX_CHARS = 16;

/** The staff side of a conversation token: who holds it and, for a key, which key value. */
export interface StaffHolder {
  workspaceId: string;
  /** A user id (`usr_…`) or a secret key id (`key_…`). */
  agentId: string;
  keyFingerprint?: string | null | undefined;
}

/** The fingerprint a conversation token keeps of the secret key value it was issued to. */
export async function keyFingerprint(presentedKey: string): Promise<string> {
  return (await sha256Hex(presentedKey)).slice(0, KEY_FINGERPRINT_HEX_CHARS);
}

/** The conversation role a staff role earns: managers and admins reply, viewers only watch. */
export function conversationRoleOf(role: Role): "agent" | "observer" {
  return roleAtLeast(role, "manager") ? "agent" : "observer";
}

/**
 * The role the holder has right now in the token's workspace, or null when they have none: a
 * removed member, or a key that was revoked, expired, or rotated away from the value the token
 * was issued to (once any rotation overlap has passed).
 */
export async function currentStaffRole(db: Db, holder: StaffHolder): Promise<Role | null> {
  if (holder.agentId.startsWith(`${ID_PREFIX.user}_`)) {
    const user = await findActiveUser(db, holder.agentId, holder.workspaceId);
    return user ? user.role : null;
  }
  if (!holder.agentId.startsWith(`${ID_PREFIX.key}_`) || !holder.keyFingerprint) return null;
  const { api_keys } = schema;
  const key = await db
    .select()
    .from(api_keys)
    .where(and(eq(api_keys.id, holder.agentId), eq(api_keys.workspace_id, holder.workspaceId), isNull(api_keys.revoked_at)))
    .get();
  if (!key || key.type !== "secret") return null;
  const now = nowIso();
  if (key.expires_at && key.expires_at <= now) return null;
  const fp = holder.keyFingerprint;
  const current = key.key_hash.startsWith(fp);
  const overlap = key.previous_key_hash?.startsWith(fp) === true && key.previous_expires_at !== null && key.previous_expires_at > now;
  if (!current && !overlap) return null;
  return (ROLES as readonly string[]).includes(key.scope) ? (key.scope as Role) : null;
}
