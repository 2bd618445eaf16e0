import { sign, verify } from "hono/jwt";
import { ApiError, misconfigured } from "../lib/errors";
import { newId } from "../lib/ids";
import { DAY_MS, HOUR_MS } from "../lib/time";
import type { Role } from "./principal";

/** Dashboard access tokens live 24 h (API.md). */
export const ACCESS_TOKEN_TTL_MS = DAY_MS;
/** Conversation tokens are short-lived: a visitor's tab asks for a new one when it expires. */
export const CONVERSATION_TOKEN_TTL_MS = 2 * HOUR_MS;

const ACCESS_AUDIENCE = "edgedesk:access";
const CONVERSATION_AUDIENCE = "edgedesk:conversation";
const MIN_SECRET_LENGTH = 32; // 256 bits of HMAC key as characters

/**
 * What is wrong with `JWT_SECRET`, or null when it is usable. There is no stand-in in any
 * environment: a fixed key in the source would let anyone who reads it mint tokens, so `npm
 * start` and the tests generate a random one instead.
 */
export function jwtSecretProblem(env: Pick<Env, "JWT_SECRET">): string | null {
  const secret = env.JWT_SECRET;
  if (!secret) return "is not set";
  if (secret.length < MIN_SECRET_LENGTH) return `is shorter than ${MIN_SECRET_LENGTH} characters`;
  return null;
}

/** The HMAC key for tokens; a 503 `misconfigured` naming JWT_SECRET when it is missing or weak. */
export function tokenSecret(env: Pick<Env, "JWT_SECRET">): string {
  const problem = jwtSecretProblem(env);
  if (problem) throw misconfigured("JWT_SECRET", `${problem}; tokens can be neither signed nor checked`);
  return env.JWT_SECRET!;
}

/** HMAC-SHA-256, what HS256 signs with. */
const HS256_KEY_ALGORITHM = { name: "HMAC", hash: { name: "SHA-256" } } as const;

// The imported signing key of the last secret seen: importing it again on every request costs
// more than the signature check itself. Keyed by the secret, so a changed JWT_SECRET is imported anew.
let signingKey: { secret: string; key: Promise<CryptoKey> } | null = null;

/** `tokenSecret` as a CryptoKey for HS256, imported once per isolate and secret. */
function tokenKey(env: Pick<Env, "JWT_SECRET">): Promise<CryptoKey> {
  const secret = tokenSecret(env);
  if (signingKey?.secret !== secret) {
    const key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), HS256_KEY_ALGORITHM, false, ["sign", "verify"]);
    signingKey = { secret, key };
    // A failed import is not remembered: the next call tries again.
    key.catch(() => {
      if (signingKey?.key === key) signingKey = null;
    });
  }
  return signingKey.key;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Claims of a dashboard user's access token. */
export interface AccessClaims {
  userId: string;
  workspaceId: string;
  role: Role;
  /**
   * The sign-in the token was issued for (its refresh token family, claim `sid`): signing that
   * sign-in out ends the token at once. Null only in tokens issued before sign-ins were named
   * (they expire within 24 h of the upgrade).
   */
  sessionId: string | null;
}

/** A signed 24-hour access token for a dashboard user. */
export async function signAccessToken(env: Env, claims: AccessClaims): Promise<{ token: string; expiresAt: string }> {
  const now = Date.now();
  const exp = now + ACCESS_TOKEN_TTL_MS;
  const token = await sign(
    {
      sub: claims.userId,
      ws: claims.workspaceId,
      role: claims.role,
      ...(claims.sessionId ? { sid: claims.sessionId } : {}),
      aud: ACCESS_AUDIENCE,
      iat: seconds(now),
      exp: seconds(exp),
      jti: newId("request"),
    },
    await tokenKey(env),
    "HS256",
  );
  return { token, expiresAt: new Date(exp).toISOString() };
}

/** The claims of a valid access token, or null when it is forged, expired or of another kind. */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims | null> {
  const key = tokenKey(env); // outside the try: a missing secret is a 503, not "bad token"
  try {
    const p = await verify(token, await key, { alg: "HS256", aud: ACCESS_AUDIENCE });
    if (typeof p.sub !== "string" || typeof p.ws !== "string" || typeof p.role !== "string") return null;
    return { userId: p.sub, workspaceId: p.ws, role: p.role as Role, sessionId: typeof p.sid === "string" ? p.sid : null };
  } catch {
    return null;
  }
}

/**
 * Who holds a conversation token: its visitor, a staff member who may reply (`agent`, manager
 * and above), or a staff member who may only watch (`observer`, viewers).
 */
export type ConversationRole = "visitor" | "agent" | "observer";

/** Claims of a conversation token: a visitor's, or a staff member's joining as agent or observer. */
export interface ConversationClaims {
  conversationId: string;
  workspaceId: string;
  assistantId: string;
  visitorId: string;
  role: ConversationRole;
  /** The staff member (user or key id) behind an agent or observer token; null for visitors. */
  agentId: string | null;
  /**
   * For a token issued to a secret key: the start of the SHA-256 of the key value presented,
   * so the token dies with that value when the key is rotated; null otherwise.
   */
  keyFingerprint?: string | null;
  /**
   * For a visitor token issued through a publishable key: that key's id, so the visitor's calls
   * are counted per key and client address like the key's own, not per a visitor id the caller
   * chose; null otherwise.
   */
  publishableKeyId?: string | null;
}

/** A signed, short-lived token authorising one conversation's socket and reads. */
export async function signConversationToken(
  env: Env,
  claims: ConversationClaims,
  ttlMs = CONVERSATION_TOKEN_TTL_MS,
): Promise<{ token: string; expiresAt: string }> {
  const now = Date.now();
  const exp = now + ttlMs;
  const token = await sign(
    {
      sub: claims.conversationId,
      ws: claims.workspaceId,
      ast: claims.assistantId,
      vid: claims.visitorId,
      role: claims.role,
      agt: claims.agentId,
      ...(claims.keyFingerprint ? { kfp: claims.keyFingerprint } : {}),
      ...(claims.publishableKeyId ? { pk: claims.publishableKeyId } : {}),
      aud: CONVERSATION_AUDIENCE,
      iat: seconds(now),
      exp: seconds(exp),
    },
    await tokenKey(env),
    "HS256",
  );
  return { token, expiresAt: new Date(exp).toISOString() };
}

/** The claims of a valid conversation token, or null. */
export async function verifyConversationToken(env: Env, token: string): Promise<ConversationClaims | null> {
  try {
    const p = await verify(token, await tokenKey(env), { alg: "HS256", aud: CONVERSATION_AUDIENCE });
    if (typeof p.sub !== "string" || typeof p.ws !== "string" || typeof p.ast !== "string" || typeof p.vid !== "string") {
      return null;
    }
    // An unknown role is refused rather than read as a visitor's: roles only ever narrow.
    const role = p.role === "agent" || p.role === "observer" || p.role === "visitor" ? p.role : null;
    if (!role) return null;
    const agentId = role !== "visitor" && typeof p.agt === "string" ? p.agt : null;
    if (role !== "visitor" && !agentId) return null;
    const keyFingerprint = role !== "visitor" && typeof p.kfp === "string" ? p.kfp : null;
    const publishableKeyId = role === "visitor" && typeof p.pk === "string" ? p.pk : null;
    return { conversationId: p.sub, workspaceId: p.ws, assistantId: p.ast, visitorId: p.vid, role, agentId, keyFingerprint, publishableKeyId };
  } catch {
    return null;
  }
}

/** Raised when a route needs a principal and none was given. */
export function unauthorized(message = "missing or invalid credentials"): ApiError {
  return new ApiError("unauthorized", message);
}
