import { createRoute } from "@hono/zod-openapi";
import { ConversationTokenBody, ConversationTokenSchema } from "../../../../schema/api";
import { conversationRoleOf, currentStaffRole } from "../../auth/staff-standing";
import { signConversationToken, verifyConversationToken } from "../../auth/tokens";
import { verifyVisitorIdentity } from "../../auth/visitor-identity";
import { authorizeConversation, conversationStub, conversationTokenClaims, wsUrl } from "../../conversation/service";
import { ApiError, notFound } from "../../lib/errors";
import { admitSocket, socketCapRefusal } from "../../limits/open-sockets";
import { subjectOf } from "../../limits/subject";
import { createDb } from "../../storage/db";
import { agentDisplayName } from "../../tenancy/workspaces";
import { authenticate, bearerOf } from "../middleware/authenticate";
import { errorResponses, json, jsonBody, router } from "../openapi";
import { ConversationIdParam } from "./conversation-shape";

/** Getting into a conversation: fresh conversation tokens, and the WebSocket they open. */
export const conversationAccessRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/token",
      tags: ["conversations"],
      summary:
        "A fresh conversation token: visitors renew theirs (publishable key + visitor_id, or + identity for a verified conversation); staff get an agent token (manager+) or a watch-only observer token (viewer)",
      middleware: [authenticate({ allow: ["user", "secret_key", "publishable_key", "conversation"] })],
      request: { params: ConversationIdParam, body: jsonBody(ConversationTokenBody) },
      responses: { 200: json(ConversationTokenSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      let claims: Parameters<typeof signConversationToken>[1];
      if (principal.kind === "publishable_key") {
        const conv = await (await conversationStub(c.env, c.get("principal").workspaceId, id)).describe();
        const ours = conv && conv.workspace_id === principal.workspaceId && conv.assistant_id === principal.assistantId;
        if (!ours) throw notFound("conversation");
        if (conv.verified) {
          // A verified conversation's visitor id is guessable (`user:<id>`): only a fresh proof of that user renews.
          if (!body.identity) throw notFound("conversation");
          const proved = await verifyVisitorIdentity(c.env, createDb(c.env.DB), conv.workspace_id, conv.assistant_id, body.identity);
          if (proved.user_id !== conv.identity?.user_id) throw notFound("conversation");
        } else if (body.visitor_id === undefined || conv.visitor_id !== body.visitor_id) {
          throw notFound("conversation");
        }
        claims = {
          conversationId: id,
          workspaceId: conv.workspace_id,
          assistantId: conv.assistant_id,
          visitorId: conv.visitor_id,
          role: "visitor",
          agentId: null,
          publishableKeyId: principal.keyId,
        };
      } else {
        // Staff get agent or observer by their role now; a renewal re-checks its holder.
        const conv = await authorizeConversation(c.env, principal, id, "read");
        claims = await conversationTokenClaims(c.env, principal, conv, bearerOf(c.req.header("authorization")));
      }
      const token = await signConversationToken(c.env, claims);
      return c.json({ token: token.token, token_expires_at: token.expiresAt, ws_url: wsUrl(c.req.url, id), role: claims.role }, 200);
    },
  );

/**
 * `GET /conversations/:id/ws?token=…`: the conversation token in the query (browsers cannot set
 * headers on a WebSocket) authorises the socket; the Durable Object takes it from there.
 */
conversationAccessRoutes.get("/conversations/:id/ws", async (c) => {
  const id = c.req.param("id");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("invalid_request", "this route expects a WebSocket upgrade", { expected_header: "Upgrade: websocket" });
  }
  const token = c.req.query("token");
  const claims = token ? await verifyConversationToken(c.env, token) : null;
  if (!claims) throw new ApiError("unauthorized", "missing, invalid or expired conversation token");
  if (claims.conversationId !== id) throw notFound("conversation");
  // Past the instance's cap a new socket is refused, so the sockets already open keep working
  // (checked first, as it is cheap; `admitSocket` below counts the socket while it opens).
  const refusal = socketCapRefusal(c.env);
  if (refusal) throw refusal;
  const db = createDb(c.env.DB);
  if (claims.role !== "visitor") {
    // A staff socket joins with what its holder may do now, not when the token was issued.
    const role = await currentStaffRole(db, { workspaceId: claims.workspaceId, agentId: claims.agentId!, keyFingerprint: claims.keyFingerprint });
    if (!role) throw new ApiError("unauthorized", "the staff member behind this conversation token no longer has access");
    if (claims.role === "agent" && conversationRoleOf(role) !== "agent") {
      throw new ApiError("forbidden", "this action needs the manager role", { required_role: "manager" });
    }
  }
  const headers = new Headers(c.req.raw.headers);
  // Who is on the socket is ours to say: anything a client sent under these names is dropped.
  for (const name of [...headers.keys()]) if (name.startsWith("x-conversation-")) headers.delete(name);
  headers.set("x-conversation-role", claims.role);
  headers.set("x-conversation-participant", claims.role === "visitor" ? claims.visitorId : claims.agentId!);
  // Whom the socket's messages are counted for (socket-limits.ts): the same subject as over HTTP.
  const rateSubject = subjectOf({ kind: "conversation", ...claims }, c.req.header("cf-connecting-ip"));
  headers.set("x-conversation-rate-subject", rateSubject.name);
  if (claims.keyFingerprint) headers.set("x-conversation-key-fingerprint", claims.keyFingerprint);
  if (claims.role === "agent") {
    const name = await agentDisplayName(db, claims.workspaceId, claims.agentId!);
    if (name) headers.set("x-conversation-participant-name", encodeURIComponent(name));
  }
  const release = admitSocket(c.env);
  try {
    return await (await conversationStub(c.env, claims.workspaceId, id)).fetch(new Request(c.req.url, { headers }));
  } finally {
    release();
  }
});
