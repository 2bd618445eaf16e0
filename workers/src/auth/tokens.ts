import { sign, verify } from "hono/jwt";
import { ApiError } from "../http/errors";
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
/** Used only outside production when no JWT_SECRET is set, so `npm start` needs no secrets. */
const DEVELOPMENT_SECRET = "edgedesk-development-only-secret-not-for-production";

/** The HMAC key for tokens; refuses to run a production deployment without a real one. */
export function tokenSecret(env: Pick<Env, "JWT_SECRET" | "ENVIRONMENT">): string {
  const secret = env.JWT_SECRET;
  if (secret && secret.length >= MIN_SECRET_LENGTH) return secret;
  if (env.ENVIRONMENT === "production") {
    throw new Error(`JWT_SECRET must be set to at least ${MIN_SECRET_LENGTH} characters in production`);
  }
  return DEVELOPMENT_SECRET;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** Claims of a dashboard user's access token. */
export interface AccessClaims {
  userId: string;
  workspaceId: string;
  role: Role;
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
      aud: ACCESS_AUDIENCE,
      iat: seconds(now),
      exp: seconds(exp),
      jti: newId("request"),
    },
    tokenSecret(env),
    "HS256",
  );
  return { token, expiresAt: new Date(exp).toISOString() };
}

/** The claims of a valid access token, or null when it is forged, expired or of another kind. */
export async function verifyAccessToken(env: Env, token: string): Promise<AccessClaims | null> {
  try {
    const p = await verify(token, tokenSecret(env), { alg: "HS256", aud: ACCESS_AUDIENCE });
    if (typeof p.sub !== "string" || typeof p.ws !== "string" || typeof p.role !== "string") return null;
    return { userId: p.sub, workspaceId: p.ws, role: p.role as Role };
  } catch {
    return null;
  }
}

/** Claims of a conversation token: a visitor's, or a staff member's joining as an agent. */
export interface ConversationClaims {
  conversationId: string;
  workspaceId: string;
  assistantId: string;
  visitorId: string;
  role: "visitor" | "agent";
  /** The staff member (user or key id) behind an agent token; null for visitors. */
  agentId: string | null;
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
      aud: CONVERSATION_AUDIENCE,
      iat: seconds(now),
      exp: seconds(exp),
    },
    tokenSecret(env),
    "HS256",
  );
  return { token, expiresAt: new Date(exp).toISOString() };
}

/** The claims of a valid conversation token, or null. */
export async function verifyConversationToken(env: Env, token: string): Promise<ConversationClaims | null> {
  try {
    const p = await verify(token, tokenSecret(env), { alg: "HS256", aud: CONVERSATION_AUDIENCE });
    if (typeof p.sub !== "string" || typeof p.ws !== "string" || typeof p.ast !== "string" || typeof p.vid !== "string") {
      return null;
    }
    const role = p.role === "agent" ? "agent" : "visitor";
    const agentId = role === "agent" && typeof p.agt === "string" ? p.agt : null;
    if (role === "agent" && !agentId) return null;
    return { conversationId: p.sub, workspaceId: p.ws, assistantId: p.ast, visitorId: p.vid, role, agentId };
  } catch {
    return null;
  }
}

/** Raised when a route needs a principal and none was given. */
export function unauthorized(message = "missing or invalid credentials"): ApiError {
  return new ApiError("unauthorized", message);
}
