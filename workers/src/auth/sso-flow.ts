/**
 * The OpenID Connect sign-in itself, with `oauth4webapi`: the authorization code flow with PKCE,
 * state and nonce; the ID token checked for issuer, audience, expiry, nonce and its signature
 * against the provider's JWKS; then the member it names (created just in time with the
 * workspace's default role) and a one-time code the dashboard trades for a session.
 */
import * as oauth from "oauth4webapi";
import { and, eq, inArray, isNull, lt, or } from "drizzle-orm";
import { sha256Hex, timingSafeEqual } from "../lib/crypto";
import { ApiError } from "../lib/errors";
import { newId, randomBase62 } from "../lib/ids";
import { BlockedDestinationError, outboundPolicy, type OutboundPolicy } from "../lib/network-policy";
import { safeFetch } from "../lib/safe-fetch";
import { isoIn, MINUTE_MS, nowIso, SECOND_MS } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { startSession, type SessionAnswer } from "./sessions";
import { ssoClientSecret, ssoConfigForWorkspace, type SsoConfigRow } from "./sso-config";

const { sso_logins, users } = schema;
type UserRow = typeof users.$inferSelect;
type FlowEnv = Pick<Env, "ENCRYPTION_KEYS"> & { ENVIRONMENT?: string | undefined; ALLOW_PRIVATE_FETCH?: string | undefined };

/** How long a person has at the provider before the sign-in must start again. */
const LOGIN_TTL_MS = 10 * MINUTE_MS;
/** The dashboard trades the callback's code at once; a minute covers a slow redirect. */
const EXCHANGE_TTL_MS = 60 * SECOND_MS;
/** The browser binding cookie's value and the exchange code: 40 base62 characters ≈ 238 bits. */
const TOKEN_CHARS = 40;
/** Scopes asked for: the email and whether the provider verified it are all a sign-in needs. */
const SCOPES = "openid email profile";
/**
 * What a user created through SSO has instead of a password hash: not a hash of any scheme, so
 * password sign-in can never match it (until the member sets a password through an admin's invite).
 */
export const SSO_ONLY_PASSWORD_HASH = "sso-only";

/** Options for every request to the provider: the outbound policy at every hop, http only for allowed local servers. */
function requestOptions(issuer: URL, policy: OutboundPolicy) {
  return {
    [oauth.customFetch]: (url: string, init: oauth.CustomFetchOptions<string, unknown>) => safeFetch(url, init as RequestInit, policy),
    [oauth.allowInsecureRequests]: issuer.protocol === "http:" && policy.allowedPrivateHosts.has(issuer.host),
  };
}

/** The provider's metadata, from its discovery document; failures are the provider's (502). */
async function discover(config: SsoConfigRow, policy: OutboundPolicy) {
  const issuer = new URL(config.issuer);
  const options = requestOptions(issuer, policy);
  const as = await providerCall(async () => oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, options)));
  return { as, options, client: { client_id: config.client_id } satisfies oauth.Client };
}

/** Turns the OpenID client's failures into API errors: a refused answer is 401, an unreachable provider 502. */
async function providerCall<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof oauth.AuthorizationResponseError) {
      throw new ApiError("unauthorized", `the identity provider refused the sign-in: ${err.error}${err.error_description ? ` (${err.error_description})` : ""}`, {
        reason: "provider_refused",
      });
    }
    if (err instanceof oauth.ResponseBodyError) {
      throw new ApiError("unauthorized", `the identity provider refused the code: ${err.error}`, { reason: "provider_refused" });
    }
    if (err instanceof oauth.OperationProcessingError || err instanceof oauth.UnsupportedOperationError) {
      throw new ApiError("unauthorized", `the identity provider's answer was not accepted: ${err.message}`, { reason: "invalid_id_token" });
    }
    if (err instanceof BlockedDestinationError) {
      throw new ApiError("upstream_error", `the identity provider cannot be called: ${err.message}`, { reason: "blocked_destination" });
    }
    throw new ApiError("upstream_error", "the identity provider could not be reached", { reason: "provider_unreachable" });
  }
}

/** What starting a sign-in gives the route: where to send the browser and the value of the binding cookie. */
export interface SsoStart {
  authorizationUrl: string;
  browserToken: string;
}

/**
 * Starts a sign-in to the workspace of `config`: remembers state, nonce and PKCE verifier (bound
 * to a new browser token the route sets as a cookie) and builds the provider's authorization URL.
 */
export async function startSsoLogin(
  env: FlowEnv,
  db: Db,
  config: SsoConfigRow,
  input: { redirectUri: string; nextPath: string | null },
): Promise<SsoStart> {
  const { as } = await discover(config, outboundPolicy(env));
  if (!as.authorization_endpoint) throw new ApiError("upstream_error", "the identity provider publishes no authorization endpoint");
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const browserToken = randomBase62(TOKEN_CHARS);
  await db
    .insert(sso_logins)
    .values({
      id: newId("ssoLogin"),
      workspace_id: config.workspace_id,
      state_hash: await sha256Hex(state),
      browser_hash: await sha256Hex(browserToken),
      nonce,
      code_verifier: codeVerifier,
      redirect_uri: input.redirectUri,
      next_path: input.nextPath,
      expires_at: isoIn(LOGIN_TTL_MS),
    })
    .run();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("client_id", config.client_id);
  url.searchParams.set("redirect_uri", input.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", SCOPES);
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  return { authorizationUrl: url.toString(), browserToken };
}

/** What a finished sign-in hands the route. */
export interface SsoFinish {
  workspaceId: string;
  user: UserRow;
  /** True when this sign-in made the person a member. */
  created: boolean;
  /** One-time code for `POST /auth/sso/exchange`. */
  exchangeCode: string;
  nextPath: string | null;
  /** The provider's subject, for the audit log. */
  subject: string;
}

const unknownState = () => new ApiError("invalid_request", "this sign-in is unknown, used or expired; start signing in again", { reason: "invalid_state" });

/**
 * Finishes a sign-in from the provider's redirect (`callbackUrl`) in the browser that started it
 * (`browserToken`, from its cookie): the state is spent, the code traded with the PKCE verifier,
 * the ID token checked, and the member found or created.
 */
export async function finishSsoLogin(env: FlowEnv, db: Db, callbackUrl: URL, browserToken: string | null): Promise<SsoFinish> {
  const state = callbackUrl.searchParams.get("state");
  if (!state) throw unknownState();
  const row = await db.select().from(sso_logins).where(eq(sso_logins.state_hash, await sha256Hex(state))).get();
  const now = nowIso();
  if (!row || row.completed_at || row.expires_at <= now) throw unknownState();
  if (!browserToken || !timingSafeEqual(await sha256Hex(browserToken), row.browser_hash)) {
    throw new ApiError("invalid_request", "this sign-in was started in another browser; start signing in again here", { reason: "browser_mismatch" });
  }
  // Spent before anything else, so a replayed redirect cannot run twice.
  const claimed = await db
    .update(sso_logins)
    .set({ completed_at: now })
    .where(and(eq(sso_logins.id, row.id), isNull(sso_logins.completed_at)))
    .returning({ id: sso_logins.id })
    .all();
  if (claimed.length === 0) throw unknownState();

  const config = await ssoConfigForWorkspace(db, row.workspace_id);
  const { as, options, client } = await discover(config, outboundPolicy(env));
  const secret = await ssoClientSecret(env, config);
  const clientAuth = secret ? oauth.ClientSecretBasic(secret) : oauth.None();
  const claims = await providerCall(async () => {
    const params = oauth.validateAuthResponse(as, client, callbackUrl, state);
    const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, row.redirect_uri, row.code_verifier, options);
    const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: row.nonce, requireIdToken: true });
    // The claims above are checked (issuer, audience, expiry, nonce); the signature is checked
    // here against the provider's published keys, so a token that did not come from it is refused.
    await oauth.validateApplicationLevelSignature(as, response, options);
    return oauth.getValidatedIdTokenClaims(result)!;
  });

  const email = typeof claims.email === "string" ? claims.email.trim().toLowerCase() : "";
  if (!email || !email.includes("@")) {
    throw new ApiError("forbidden", "the identity provider gave no email address; ask your administrator to release the email claim", { reason: "no_email" });
  }
  if (claims.email_verified !== true) {
    throw new ApiError("forbidden", "the identity provider has not verified this email address", { reason: "email_not_verified" });
  }
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (!config.allowed_domains.includes(domain)) {
    throw new ApiError("forbidden", `email addresses of ${domain} may not sign in to this workspace`, { reason: "domain_not_allowed", domain });
  }
  const name = typeof claims.name === "string" ? claims.name.slice(0, 200) : null;
  const { user, created } = await resolveMember(db, config, email, name);
  const exchangeCode = randomBase62(TOKEN_CHARS);
  await db
    .update(sso_logins)
    .set({ user_id: user.id, exchange_code_hash: await sha256Hex(exchangeCode), exchange_expires_at: isoIn(EXCHANGE_TTL_MS) })
    .where(eq(sso_logins.id, row.id))
    .run();
  return { workspaceId: config.workspace_id, user, created, exchangeCode, nextPath: row.next_path, subject: claims.sub };
}

/**
 * The member `email` signs in as: an existing live member of this workspace, or a new one with
 * the workspace's default role. An account of another workspace, or a member an admin removed,
 * is refused: one account per email, and a removal is not undone by signing in.
 */
async function resolveMember(db: Db, config: SsoConfigRow, email: string, name: string | null): Promise<{ user: UserRow; created: boolean }> {
  const now = nowIso();
  const existing = await db.select().from(users).where(eq(users.email, email)).get();
  if (existing) {
    if (existing.workspace_id !== config.workspace_id) {
      throw new ApiError("forbidden", "this email address already has an account in another workspace", { reason: "other_workspace" });
    }
    if (existing.deleted_at) {
      throw new ApiError("forbidden", "you were removed from this workspace; ask an admin to invite you again", { reason: "member_removed" });
    }
    const user = await db.update(users).set({ last_login_at: now }).where(eq(users.id, existing.id)).returning().get();
    return { user: user ?? existing, created: false };
  }
  const inserted = await db
    .insert(users)
    .values({
      id: newId("user"),
      workspace_id: config.workspace_id,
      email,
      name,
      password_hash: SSO_ONLY_PASSWORD_HASH,
      role: config.default_role,
      last_login_at: now,
    })
    .onConflictDoNothing()
    .returning()
    .get();
  // Two first sign-ins of one person at once: the other made the account; use it.
  if (!inserted) return resolveMember(db, config, email, name);
  return { user: inserted, created: true };
}

/** Trades the callback's one-time code for a session of the member it was issued to. */
export async function exchangeSsoCode(db: Db, env: Env, code: string): Promise<{ session: SessionAnswer; workspaceId: string }> {
  const invalid = () => new ApiError("unauthorized", "this sign-in code is invalid, used or expired; sign in again", { reason: "invalid_code" });
  const now = nowIso();
  const claimed = await db
    .update(sso_logins)
    .set({ exchanged_at: now })
    .where(and(eq(sso_logins.exchange_code_hash, await sha256Hex(code)), isNull(sso_logins.exchanged_at)))
    .returning()
    .get();
  if (!claimed || !claimed.user_id || !claimed.exchange_expires_at || claimed.exchange_expires_at <= now) throw invalid();
  const user = await db
    .select()
    .from(users)
    .where(and(eq(users.id, claimed.user_id), eq(users.workspace_id, claimed.workspace_id), isNull(users.deleted_at)))
    .get();
  if (!user) throw invalid();
  return { session: await startSession(db, env, user), workspaceId: claimed.workspace_id };
}

/** Expired sign-ins deleted per housekeeping run; a backlog goes over the next runs. */
const EXPIRED_LOGINS_PER_RUN = 500;

/**
 * Deletes sign-ins that can no longer be used: their state expired (`finishSsoLogin` refuses it)
 * and their one-time code, if they got one, expired too (`exchangeSsoCode` refuses it). They
 * hold a PKCE verifier and, once finished, who signed in; nothing reads them after. At most
 * `limit` a run; returns how many were deleted.
 */
export async function deleteExpiredSsoLogins(db: Db, now: Date, limit = EXPIRED_LOGINS_PER_RUN): Promise<number> {
  const cutoff = now.toISOString();
  const expired = db
    .select({ id: sso_logins.id })
    .from(sso_logins)
    .where(and(lt(sso_logins.expires_at, cutoff), or(isNull(sso_logins.exchange_expires_at), lt(sso_logins.exchange_expires_at, cutoff))))
    .limit(limit);
  const deleted = await db.delete(sso_logins).where(inArray(sso_logins.id, expired)).returning({ id: sso_logins.id }).all();
  return deleted.length;
}
