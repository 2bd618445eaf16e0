/**
 * The people of a workspace: members, their roles, and invitations by one-time link.
 * Every rule that keeps a workspace governable (never without an admin, nobody removes
 * themselves) is enforced here, in the same statement that makes the change.
 */
import { and, asc, eq, gt, isNull, ne, or, sql } from "drizzle-orm";
import { INVITE_TTL_DAYS, type Invite, type TeamMember } from "../../../schema/api";
import type { Role } from "./principal";
import { hashPassword } from "./passwords";
import { startSession } from "./sessions";
import { ApiError, notFound } from "../lib/errors";
import { sha256Hex } from "../lib/crypto";
import { newId, randomBase62 } from "../lib/ids";
import { decodeCursor, olderThan, toPage } from "../lib/pagination";
import { DAY_MS, isoIn, nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { toUser } from "../tenancy/workspaces";

const { users, invites, refresh_tokens } = schema;
type UserRow = typeof users.$inferSelect;
type InviteRow = typeof invites.$inferSelect;

// `lib/ids` has no invite kind; the id has the same shape as every other (prefix + 20 base62).
const INVITE_ID_PREFIX = "inv";
const INVITE_ID_RANDOM_CHARS = 20;
/** Invite link tokens: 40 base62 characters ≈ 238 bits, stored only as SHA-256. */
const INVITE_TOKEN_PREFIX = "ivt_";
const INVITE_TOKEN_RANDOM_CHARS = 40;
export const INVITE_TTL_MS = INVITE_TTL_DAYS * DAY_MS;

/** Public view of a member. */
export function toTeamMember(row: UserRow): TeamMember {
  return { ...toUser(row), last_login_at: row.last_login_at };
}

/** Public view of an invite; its status is derived, so an expired one says so. */
export function toInvite(row: InviteRow, now = nowIso()): Invite {
  const status = row.accepted_at ? "accepted" : row.revoked_at ? "revoked" : row.expires_at <= now ? "expired" : "pending";
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    status,
    invited_by: row.invited_by,
    expires_at: row.expires_at,
    accepted_at: row.accepted_at,
    created_at: row.created_at,
  };
}

/** One page of the workspace's live members, oldest first. */
export async function listMembers(db: Db, workspaceId: string, limit: number, cursor?: string) {
  const after = decodeCursor(cursor);
  const rows = await db
    .select()
    .from(users)
    .where(
      and(
        eq(users.workspace_id, workspaceId),
        isNull(users.deleted_at),
        after ? or(gt(users.created_at, after.t), and(eq(users.created_at, after.t), gt(users.id, after.id))) : undefined,
      ),
    )
    .orderBy(asc(users.created_at), asc(users.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

async function getMember(db: Db, workspaceId: string, userId: string): Promise<UserRow> {
  const row = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.workspace_id, workspaceId), isNull(users.deleted_at)))
    .get();
  if (!row) throw notFound("user");
  return row;
}

/** Other live admins of the workspace than `userId`: the guard that keeps one admin at least. */
const otherAdminsExist = (workspaceId: string, userId: string) =>
  sql`exists (select 1 from ${users} where ${users.workspace_id} = ${workspaceId} and ${users.role} = 'admin'
      and ${users.deleted_at} is null and ${users.id} <> ${userId})`;

/** Changes a member's role; the last admin cannot be demoted (409). */
export async function changeRole(db: Db, workspaceId: string, userId: string, role: Role): Promise<UserRow> {
  const current = await getMember(db, workspaceId, userId);
  if (current.role === role) return current;
  const updated = await db
    .update(users)
    .set({ role, updated_at: nowIso() })
    .where(
      and(
        eq(users.id, userId),
        eq(users.workspace_id, workspaceId),
        isNull(users.deleted_at),
        // Checked in the same statement, so two admins demoting each other cannot both succeed.
        or(ne(users.role, "admin"), otherAdminsExist(workspaceId, userId)),
      ),
    )
    .returning()
    .get();
  if (!updated) {
    throw new ApiError("conflict", "the workspace needs at least one admin; promote someone else first", { reason: "last_admin" });
  }
  return updated;
}

/**
 * Removes a member (soft delete: their audit trail keeps its actor) and ends their sessions.
 * Nobody removes themselves, and the last admin stays.
 */
export async function removeMember(db: Db, workspaceId: string, userId: string, actingUserId: string | null): Promise<UserRow> {
  if (actingUserId === userId) {
    throw new ApiError("conflict", "you cannot remove yourself; ask another admin", { reason: "self" });
  }
  await getMember(db, workspaceId, userId);
  const now = nowIso();
  const removed = await db
    .update(users)
    .set({ deleted_at: now, updated_at: now })
    .where(
      and(
        eq(users.id, userId),
        eq(users.workspace_id, workspaceId),
        isNull(users.deleted_at),
        or(ne(users.role, "admin"), otherAdminsExist(workspaceId, userId)),
      ),
    )
    .returning()
    .get();
  if (!removed) {
    throw new ApiError("conflict", "the workspace needs at least one admin; promote someone else first", { reason: "last_admin" });
  }
  await db
    .update(refresh_tokens)
    .set({ revoked_at: now })
    .where(and(eq(refresh_tokens.user_id, userId), isNull(refresh_tokens.revoked_at)))
    .run();
  return removed;
}

/** One page of the workspace's invitations, newest first. */
export async function listInvites(db: Db, workspaceId: string, limit: number, cursor?: string) {
  const rows = await db
    .select()
    .from(invites)
    .where(
      and(
        eq(invites.workspace_id, workspaceId),
        olderThan(invites.created_at, invites.id, cursor),
      ),
    )
    .orderBy(sql`${invites.created_at} desc`, sql`${invites.id} desc`)
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

/**
 * Invites `email` with `role`. A pending invite to the same address is replaced (its link stops
 * working); a live member of this workspace is a 409 (the admin sees the team anyway). An
 * address with an account in another workspace is invited like any other: refusing it here
 * would tell any admin of any workspace (anyone, since sign-up is open) which addresses are
 * registered. Its link then fails at acceptance like a dead link (see `acceptInvite`).
 * Returns the row and the token, which is never retrievable again.
 */
export async function createInvite(db: Db, workspaceId: string, input: { email: string; role: Role }, invitedBy: string | null) {
  const member = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.email, input.email), eq(users.workspace_id, workspaceId), isNull(users.deleted_at)))
    .get();
  if (member) throw new ApiError("conflict", "this person is already a member of the workspace", { field: "email" });
  const token = INVITE_TOKEN_PREFIX + randomBase62(INVITE_TOKEN_RANDOM_CHARS);
  const now = nowIso();
  const [, inserted] = await db.batch([
    db
      .update(invites)
      .set({ revoked_at: now })
      .where(
        and(
          eq(invites.workspace_id, workspaceId),
          eq(invites.email, input.email),
          isNull(invites.accepted_at),
          isNull(invites.revoked_at),
        ),
      ),
    db
      .insert(invites)
      .values({
        id: `${INVITE_ID_PREFIX}_${randomBase62(INVITE_ID_RANDOM_CHARS)}`,
        workspace_id: workspaceId,
        email: input.email,
        role: input.role,
        token_hash: await sha256Hex(token),
        invited_by: invitedBy,
        expires_at: isoIn(INVITE_TTL_MS),
        created_at: now,
      })
      .returning(),
  ]);
  return { row: inserted[0]!, token };
}

/** Revokes a pending invitation; its link stops working. Accepted ones cannot be revoked (409). */
export async function revokeInvite(db: Db, workspaceId: string, inviteId: string): Promise<InviteRow> {
  const row = await db
    .select()
    .from(invites)
    .where(and(eq(invites.id, inviteId), eq(invites.workspace_id, workspaceId)))
    .get();
  if (!row) throw notFound("invite");
  if (row.accepted_at) throw new ApiError("conflict", "this invitation was already accepted; remove the member instead");
  if (row.revoked_at) return row;
  return (await db.update(invites).set({ revoked_at: nowIso() }).where(eq(invites.id, row.id)).returning().get())!;
}

/** The one answer to every invitation that cannot be accepted, whatever the reason. */
const INVITE_UNUSABLE = "this invitation link is invalid, used or expired; ask an admin of the workspace for a new one";

/**
 * Accepts an invitation: creates the user with the invite's email and role (or brings back a
 * member removed from this same workspace) and signs them in, like sign-up does.
 *
 * An invitation whose email meanwhile has an account elsewhere cannot be accepted (one account
 * per email), and it is refused with the same 404 and message as a made-up, used or expired
 * link, so the answer never says whether an address is registered. Every path hashes the
 * password once, so they also take the same time.
 */
export async function acceptInvite(db: Db, env: Env, input: { token: string; password: string; name?: string | undefined }) {
  const invalid = () => new ApiError("not_found", INVITE_UNUSABLE);
  const passwordHash = await hashPassword(input.password);
  if (!input.token.startsWith(INVITE_TOKEN_PREFIX)) throw invalid();
  const invite = await db
    .select()
    .from(invites)
    .where(eq(invites.token_hash, await sha256Hex(input.token)))
    .get();
  const now = nowIso();
  if (!invite || invite.accepted_at || invite.revoked_at || invite.expires_at <= now) throw invalid();

  const existing = await db.select().from(users).where(eq(users.email, invite.email)).get();
  if (existing && (existing.deleted_at === null || existing.workspace_id !== invite.workspace_id)) throw invalid();
  const userId = existing?.id ?? newId("user");
  // Claim the invite first, only if still unused, so one link makes one account.
  const claimed = await db
    .update(invites)
    .set({ accepted_at: now, accepted_user_id: userId })
    .where(and(eq(invites.id, invite.id), isNull(invites.accepted_at), isNull(invites.revoked_at)))
    .returning({ id: invites.id })
    .all();
  if (claimed.length === 0) throw invalid();

  let user: UserRow | undefined;
  if (existing) {
    user = await db
      .update(users)
      .set({ password_hash: passwordHash, role: invite.role, name: input.name ?? existing.name, deleted_at: null, updated_at: now, last_login_at: now })
      .where(eq(users.id, existing.id))
      .returning()
      .get();
  } else {
    user = await db
      .insert(users)
      .values({
        id: userId,
        workspace_id: invite.workspace_id,
        email: invite.email,
        name: input.name ?? null,
        password_hash: passwordHash,
        role: invite.role,
        last_login_at: now,
      })
      .returning()
      .get();
  }
  // The password was just set from this request: sign in without hashing it a second time.
  return { session: await startSession(db, env, user!), invite };
}
