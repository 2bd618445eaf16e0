import { ApiError } from "../lib/errors";
import type { WaitUntil } from "../lib/wait-until";
import type { Db } from "../storage/db";
import { PUBLISHABLE_KEY_PREFIX, SECRET_KEY_PREFIX, touchApiKey, verifyApiKey } from "./api-keys";
import type { Principal } from "./principal";
import { findSignedInUser } from "./sessions";
import { verifyAccessToken, verifyConversationToken } from "./tokens";
import { getAssistantOrigins } from "./origins";

/** What a request presented: its bearer credential and the page origin it came from. */
export interface Credentials {
  bearer: string | undefined;
  origin: string | undefined;
}

/**
 * Resolves who is calling from a bearer credential: a secret or publishable key, a dashboard
 * access token, or a conversation token. Null when nothing usable was presented.
 */
export async function resolvePrincipal(
  db: Db,
  env: Env,
  creds: Credentials,
  waitUntil: WaitUntil,
): Promise<Principal | null> {
  const bearer = creds.bearer;
  if (!bearer) return null;

  if (bearer.startsWith(SECRET_KEY_PREFIX) || bearer.startsWith(PUBLISHABLE_KEY_PREFIX)) {
    const key = await verifyApiKey(db, bearer);
    if (!key) return null;
    waitUntil(touchApiKey(db, key));
    if (key.type === "secret") {
      if (key.scope === "widget") return null;
      return { kind: "secret_key", workspaceId: key.workspace_id, keyId: key.id, role: key.scope };
    }
    if (!key.assistant_id) return null;
    const allowed = key.allowed_origins.length > 0 ? key.allowed_origins : await getAssistantOrigins(db, key.assistant_id);
    if (!creds.origin || !allowed.includes(creds.origin)) {
      throw new ApiError("forbidden", "this publishable key is not allowed from this origin", {
        origin: creds.origin ?? null,
      });
    }
    return {
      kind: "publishable_key",
      workspaceId: key.workspace_id,
      keyId: key.id,
      assistantId: key.assistant_id,
      allowedOrigins: allowed,
    };
  }

  const access = await verifyAccessToken(env, bearer);
  if (access) {
    // Role, membership and the sign-in come from the database, so a removed user, a demotion or
    // a sign-out applies at once.
    const user = await findSignedInUser(db, access);
    if (!user) return null;
    return { kind: "user", workspaceId: user.workspace_id, userId: user.id, role: user.role, sessionId: access.sessionId };
  }

  const conversation = await verifyConversationToken(env, bearer);
  if (conversation) {
    return {
      kind: "conversation",
      workspaceId: conversation.workspaceId,
      conversationId: conversation.conversationId,
      assistantId: conversation.assistantId,
      visitorId: conversation.visitorId,
      role: conversation.role,
      agentId: conversation.agentId,
      keyFingerprint: conversation.keyFingerprint ?? null,
      publishableKeyId: conversation.publishableKeyId ?? null,
    };
  }
  return null;
}
