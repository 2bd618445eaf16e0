import { and, eq, isNull } from "drizzle-orm";
import { ApiError } from "../http/errors";
import { sha256Hex } from "../lib/crypto";
import { newId, randomBase62 } from "../lib/ids";
import { DAY_MS, isoIn, nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { getWorkspace, toUser, toWorkspace } from "../tenancy/workspaces";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./passwords";
import { signAccessToken } from "./tokens";

const { workspaces, users, refresh_tokens } = schema;

/** Refresh tokens live 7 days (API.md) and are replaced on every use. */
export const REFRESH_TOKEN_TTL_MS = 7 * DAY_MS;
const REFRESH_TOKEN_PREFIX = "rtf_";
const REFRESH_RANDOM_CHARS = 40;

type UserRow = typeof users.$inferSelect;

/** Issues an access token and a refresh token in `familyId` (a new family when absent). */
async function issueSession(db: Db, env: Env, user: UserRow, familyId = newId("refresh")) {
  const refreshToken = REFRESH_TOKEN_PREFIX + randomBase62(REFRESH_RANDOM_CHARS);
  const refreshExpiresAt = isoIn(REFRESH_TOKEN_TTL_MS);
  await db
    .insert(refresh_tokens)
    .values({
      id: newId("refresh"),
      user_id: user.id,
      workspace_id: user.workspace_id,
      family_id: familyId,
      token_hash: await sha256Hex(refreshToken),
      expires_at: refreshExpiresAt,
    })
    .run();
  const access = await signAccessToken(env, { userId: user.id, workspaceId: user.workspace_id, role: user.role });
  const workspace = await getWorkspace(db, user.workspace_id);
  return {
    workspace: toWorkspace(workspace),
    user: toUser(user),
    access_token: access.token,
    access_token_expires_at: access.expiresAt,
    refresh_token: refreshToken,
    refresh_token_expires_at: refreshExpiresAt,
  };
}

/** Sign-up: a new workspace with its first admin, signed in. */
export async function signUp(
  db: Db,
  env: Env,
  input: { workspace_name: string; company_name?: string | undefined; email: string; password: string },
) {
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email)).get();
  if (existing) throw new ApiError("conflict", "an account with this email already exists", { field: "email" });
  const workspaceId = newId("workspace");
  const passwordHash = await hashPassword(input.password);
  const [, inserted] = await db.batch([
    db.insert(workspaces).values({ id: workspaceId, name: input.workspace_name, company_name: input.company_name ?? null }),
    db
      .insert(users)
      .values({
        id: newId("user"),
        workspace_id: workspaceId,
        email: input.email,
        password_hash: passwordHash,
        role: "admin",
      })
      .returning(),
  ]);
  return issueSession(db, env, inserted[0]!);
}

/** Email + password sign-in; the same error whether the email or the password is wrong. */
export async function logIn(db: Db, env: Env, email: string, password: string) {
  const user = await db
    .select()
    .from(users)
    .where(and(eq(users.email, email), isNull(users.deleted_at)))
    .get();
  const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user || !ok) throw new ApiError("unauthorized", "email or password is incorrect");
  await db.update(users).set({ last_login_at: nowIso() }).where(eq(users.id, user.id)).run();
  return issueSession(db, env, user);
}

/**
 * Exchanges a refresh token for a new pair. A token already used once means it leaked:
 * the whole family is revoked and the caller must sign in again.
 */
export async function refreshSession(db: Db, env: Env, presented: string) {
  const invalid = () => new ApiError("unauthorized", "refresh token is invalid or expired");
  if (!presented.startsWith(REFRESH_TOKEN_PREFIX)) throw invalid();
  const row = await db
    .select()
    .from(refresh_tokens)
    .where(eq(refresh_tokens.token_hash, await sha256Hex(presented)))
    .get();
  if (!row || row.revoked_at) throw invalid();
  const now = nowIso();
  if (row.used_at) {
    await db
      .update(refresh_tokens)
      .set({ revoked_at: now })
      .where(and(eq(refresh_tokens.family_id, row.family_id), isNull(refresh_tokens.revoked_at)))
      .run();
    throw new ApiError("unauthorized", "refresh token was already used; all sessions of this sign-in are revoked");
  }
  if (row.expires_at <= now) throw invalid();
  // Mark used only if still unused: two racing refreshes cannot both win.
  const claimed = await db
    .update(refresh_tokens)
    .set({ used_at: now })
    .where(and(eq(refresh_tokens.id, row.id), isNull(refresh_tokens.used_at)))
    .returning({ id: refresh_tokens.id })
    .all();
  if (claimed.length === 0) throw invalid();
  const user = await db
    .select()
    .from(users)
    .where(and(eq(users.id, row.user_id), isNull(users.deleted_at)))
    .get();
  if (!user) throw invalid();
  return issueSession(db, env, user, row.family_id);
}

/** Ends the sign-in that `presented` belongs to (its whole family). Unknown tokens are ignored. */
export async function logOut(db: Db, presented: string): Promise<void> {
  const row = await db
    .select({ family_id: refresh_tokens.family_id })
    .from(refresh_tokens)
    .where(eq(refresh_tokens.token_hash, await sha256Hex(presented)))
    .get();
  if (!row) return;
  await db
    .update(refresh_tokens)
    .set({ revoked_at: nowIso() })
    .where(and(eq(refresh_tokens.family_id, row.family_id), isNull(refresh_tokens.revoked_at)))
    .run();
}

/** Changes a user's password and ends every other session of theirs. */
export async function changePassword(db: Db, userId: string, current: string, next: string): Promise<void> {
  const user = await db.select().from(users).where(eq(users.id, userId)).get();
  if (!user || !(await verifyPassword(current, user.password_hash))) {
    throw new ApiError("invalid_request", "current password is incorrect", { field: "current_password" });
  }
  const now = nowIso();
  await db.batch([
    db.update(users).set({ password_hash: await hashPassword(next), updated_at: now }).where(eq(users.id, userId)),
    db
      .update(refresh_tokens)
      .set({ revoked_at: now })
      .where(and(eq(refresh_tokens.user_id, userId), isNull(refresh_tokens.revoked_at))),
  ]);
}

/** A live user of the workspace, or null (deleted users lose access at once). */
export async function findActiveUser(db: Db, userId: string, workspaceId: string): Promise<UserRow | null> {
  const row = await db
    .select()
    .from(users)
    .where(and(eq(users.id, userId), eq(users.workspace_id, workspaceId), isNull(users.deleted_at)))
    .get();
  return row ?? null;
}
