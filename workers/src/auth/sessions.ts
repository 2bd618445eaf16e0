import { and, eq, exists, inArray, isNull, lt, ne } from "drizzle-orm";
import type { DataRegion } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import { sha256Hex, toBase64Url } from "../lib/crypto";
import { newId, randomBase62 } from "../lib/ids";
import { DAY_MS, isoIn, nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { getWorkspace, toUser, toWorkspace } from "../tenancy/workspaces";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./passwords";
import { assertPasswordSignInAllowed } from "./sso-config";
import { signAccessToken, type AccessClaims } from "./tokens";

const { workspaces, users, refresh_tokens } = schema;

/** Refresh tokens live 7 days (API.md) and are replaced on every use. */
export const REFRESH_TOKEN_TTL_MS = 7 * DAY_MS;
const REFRESH_TOKEN_PREFIX = "rtf_";
const REFRESH_RANDOM_CHARS = 40;

type UserRow = typeof users.$inferSelect;
type WorkspaceRow = typeof workspaces.$inferSelect;
const DECOY_KEY_BYTES = 48; // a throwaway HMAC key, as long as a real JWT_SECRET

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
  const access = await signAccessToken(env, { userId: user.id, workspaceId: user.workspace_id, role: user.role, sessionId: familyId });
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

/** A signed-in session of a dashboard user, as sign-up, sign-in and refresh return it. */
export type SessionAnswer = Awaited<ReturnType<typeof issueSession>>;

/** Signs in a user whose credentials were just established (an accepted invitation, say). */
export function startSession(db: Db, env: Env, user: UserRow): Promise<SessionAnswer> {
  return issueSession(db, env, user);
}

/**
 * What sign-up answers for an email that already has an account: a session of exactly the shape
 * and kind a new account gets (fresh ids, a correctly formed access token and refresh token),
 * but nothing is stored and the access token is signed with a throwaway key, so neither token
 * opens anything. See `signUp` for why.
 */
async function decoySession(env: Env, input: SignUpInput): Promise<SessionAnswer> {
  const now = nowIso();
  const workspace: WorkspaceRow = {
    id: newId("workspace"),
    name: input.workspace_name,
    company_name: input.company_name ?? null,
    plan: "starter",
    retention_days: null,
    stripe_customer_id: null,
    data_region: input.data_region ?? "default",
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  const user: UserRow = {
    id: newId("user"),
    workspace_id: workspace.id,
    email: input.email,
    name: null,
    password_hash: "",
    role: "admin",
    last_login_at: null,
    created_at: now,
    updated_at: now,
    deleted_at: null,
  };
  const throwawayKey = toBase64Url(crypto.getRandomValues(new Uint8Array(DECOY_KEY_BYTES)));
  const access = await signAccessToken({ ...env, JWT_SECRET: throwawayKey }, { userId: user.id, workspaceId: workspace.id, role: "admin", sessionId: newId("refresh") });
  return {
    workspace: toWorkspace(workspace),
    user: toUser(user),
    access_token: access.token,
    access_token_expires_at: access.expiresAt,
    refresh_token: REFRESH_TOKEN_PREFIX + randomBase62(REFRESH_RANDOM_CHARS),
    refresh_token_expires_at: isoIn(REFRESH_TOKEN_TTL_MS),
  };
}

/** The fields of a sign-up. */
export interface SignUpInput {
  workspace_name: string;
  company_name?: string | undefined;
  email: string;
  password: string;
  data_region?: DataRegion | undefined;
}

/**
 * Sign-up: a new workspace with its first admin, signed in. `created` is false when the email
 * already had an account; the caller must answer exactly as if it were true.
 *
 * Why an existing email gets a decoy 201 rather than 409: API.md fixes sign-up's answer as
 * 201 `{workspace, user, access_token, refresh_token}`, and any other status for a taken email
 * (409, or a uniform 400) would still differ from the 201 a free email gets, which is the whole
 * oracle. So both answer 201 with the same fields, after the same password hashing and the
 * same D1 writes (rolled back for a taken email), so they take about as long. The decoy creates
 * nothing and its tokens open nothing. The real owner is sent on to sign in when the token is
 * refused (where their real password works), and their workspace's audit log records the attempt
 * (`user.signup_attempted`), the closest thing to a "you already have an account" notice that
 * needs no mail service; someone probing learns nothing from the answer itself. What remains is inherent to one
 * account per email: using the returned token, or signing up a free email (which takes it),
 * tells a taken one from a free one; that costs a second request per probe, leaves a workspace
 * behind for every free address tried, and is held back by the sign-up limits per address.
 */
export async function signUp(db: Db, env: Env, input: SignUpInput): Promise<SignUpOutcome> {
  const passwordHash = await hashPassword(input.password);
  const workspaceId = newId("workspace");
  // No lookup first: the insert itself meets a taken email (users_email_uq), and D1 rolls the whole
  // batch back, so a taken email costs the same hashing and the same writes as a free one and
  // leaves nothing behind.
  const created = await db
    .batch([
      db.insert(workspaces).values({
        id: workspaceId,
        name: input.workspace_name,
        company_name: input.company_name ?? null,
        data_region: input.data_region ?? "default",
      }),
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
    ])
    .catch((err: unknown) => {
      if (isTakenEmail(err)) return null;
      throw err;
    });
  if (!created) {
    // The account the email belongs to, so its workspace's audit log can say someone tried; this
    // read also stands in for the round trips a new account's session makes.
    const owner = await db.select({ id: users.id, workspace_id: users.workspace_id }).from(users).where(eq(users.email, input.email)).get();
    return { session: await decoySession(env, input), created: false, owner: owner ?? null };
  }
  return { session: await issueSession(db, env, created[1][0]!), created: true, owner: null };
}

/** What `signUp` did: `created` false means a decoy answer for the email's `owner`. */
export interface SignUpOutcome {
  session: SessionAnswer;
  created: boolean;
  /** The account that already had the email (when `created` is false). */
  owner: { id: string; workspace_id: string } | null;
}

/** True when a write failed because the email already belongs to a user (also when wrapped by drizzle). */
function isTakenEmail(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (/UNIQUE constraint failed: users\.email/.test(e.message)) return true;
  }
  return false;
}

/**
 * Email + password sign-in; the same error whether the email or the password is wrong. A member
 * of a workspace that requires SSO is refused (403 `sso_required`) only after a correct password,
 * so the refusal tells nothing to someone guessing.
 */
export async function logIn(db: Db, env: Env, email: string, password: string) {
  const user = await db
    .select()
    .from(users)
    .where(and(eq(users.email, email), isNull(users.deleted_at)))
    .get();
  // An account made through SSO has no password hash; it is checked against the dummy like an
  // unknown email, so the time taken does not tell such accounts apart.
  const stored = user?.password_hash.startsWith("pbkdf2") ? user.password_hash : DUMMY_PASSWORD_HASH;
  const ok = (await verifyPassword(password, stored)) && stored === user?.password_hash;
  if (!user || !ok) throw new ApiError("unauthorized", "email or password is incorrect");
  await assertPasswordSignInAllowed(db, user);
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

/**
 * Changes a user's password and ends every other sign-in of theirs (refresh and access tokens
 * alike); the sign-in `keepSessionId` that asked for the change stays (null: none stays).
 */
export async function changePassword(db: Db, userId: string, current: string, next: string, keepSessionId: string | null): Promise<void> {
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
      .where(
        and(
          eq(refresh_tokens.user_id, userId),
          isNull(refresh_tokens.revoked_at),
          keepSessionId ? ne(refresh_tokens.family_id, keepSessionId) : undefined,
        ),
      ),
  ]);
}

/** A live user of the workspace, or null (deleted users lose access at once). */
export function findActiveUser(db: Db, userId: string, workspaceId: string): Promise<UserRow | null> {
  return findSignedInUser(db, { userId, workspaceId, sessionId: null });
}

/**
 * The live user behind an access token, or null: the user must still be a member (deleted users
 * lose access at once) and, when the token names its sign-in, that sign-in must not have been
 * signed out (`logOut`, a password change elsewhere, "SSO required" switched on, a reused
 * refresh token): its access tokens end with it, not 24 h later. One query either way.
 */
export async function findSignedInUser(db: Db, claims: Pick<AccessClaims, "userId" | "workspaceId" | "sessionId">): Promise<UserRow | null> {
  const live = claims.sessionId
    ? exists(
        db
          .select({ id: refresh_tokens.id })
          .from(refresh_tokens)
          .where(
            and(
              eq(refresh_tokens.family_id, claims.sessionId),
              eq(refresh_tokens.user_id, claims.userId),
              isNull(refresh_tokens.revoked_at),
            ),
          ),
      )
    : undefined;
  const row = await db
    .select()
    .from(users)
    .where(and(eq(users.id, claims.userId), eq(users.workspace_id, claims.workspaceId), isNull(users.deleted_at), live))
    .get();
  return row ?? null;
}

/** Expired refresh tokens deleted per housekeeping run; a larger backlog goes over several runs. */
const EXPIRED_REFRESH_TOKENS_PER_RUN = 500;

/**
 * Deletes refresh tokens past their expiry (used, revoked or not): none can be exchanged any
 * more, and none keeps an access token alive, since a sign-in's newest refresh token outlives
 * the access token issued with it (7 days against 24 hours). Returns how many were deleted.
 */
export async function deleteExpiredRefreshTokens(db: Db, now: Date, limit = EXPIRED_REFRESH_TOKENS_PER_RUN): Promise<number> {
  const expired = db
    .select({ id: refresh_tokens.id })
    .from(refresh_tokens)
    .where(lt(refresh_tokens.expires_at, now.toISOString()))
    .limit(limit);
  const deleted = await db.delete(refresh_tokens).where(inArray(refresh_tokens.id, expired)).returning({ id: refresh_tokens.id }).all();
  return deleted.length;
}
