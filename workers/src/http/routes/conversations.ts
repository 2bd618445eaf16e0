import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import {
  AgentMessageBody,
  ConversationCreateBody,
  ConversationCreatedSchema,
  ConversationExportSchema,
  ConversationInboxQuery,
  ConversationSchema,
  ConversationTokenBody,
  ConversationTokenSchema,
  EscalateBody,
  EscalationSchema,
  idOf,
  MessageAnswerSchema,
  MessageCreateBody,
  MessageSchema,
  page,
  PaginationQuery,
  ResolveBody,
  ResolvedConversationSchema,
  SatisfactionBody,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { actorOf } from "../../auth/principal";
import { conversationRoleOf, currentStaffRole } from "../../auth/staff-standing";
import { signConversationToken, verifyConversationToken } from "../../auth/tokens";
import type { ConversationView } from "../../conversation/conversation-do";
import type { EscalationView, MessageView, ServerEvent } from "../../conversation/protocol";
import { sanitizeMessage } from "../../conversation/sanitize";
import {
  authorizeConversation,
  conversationStub,
  conversationTokenClaims,
  listConversations,
  startConversation,
  wsUrl,
} from "../../conversation/service";
import { learnFromResolution, toPhrasing } from "../../knowledge/phrasings";
import { decodeCursor, encodeCursor } from "../../lib/pagination";
import { createDb } from "../../storage/db";
import { agentDisplayName } from "../../tenancy/workspaces";
import { checkModelBudget } from "../../billing/model-budget";
import { limitConversationStart } from "../rate-limit/conversation-starts";
import { subjectOf } from "../rate-limit/subject";
import { ANYONE, authenticate, bearerOf } from "../middleware/authenticate";
import { ApiError, notFound } from "../errors";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const IdParam = z.strictObject({ id: idOf("conv").openapi({ param: { name: "id", in: "path" } }) });
const visitorOrStaff = authenticate({ allow: ANYONE });
/** Messages read from the Durable Object per call while exporting. */
const EXPORT_BATCH_MESSAGES = 500;

function toConversation(v: ConversationView) {
  return {
    id: v.id,
    assistant_id: v.assistant_id,
    channel: v.channel as "web",
    visitor_id: v.visitor_id,
    status: v.status,
    human_takeover: v.human_takeover,
    satisfaction_score: v.satisfaction_score,
    language: v.language,
    metadata: v.metadata,
    created_at: v.created_at,
    updated_at: v.updated_at,
  };
}

/** Reads the DO's newline-delimited event stream. */
async function* readEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line) yield JSON.parse(line) as ServerEvent;
    }
  }
}

/** Conversations over REST and SSE, and the WebSocket entry point. */
export const conversationsRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations",
      tags: ["conversations"],
      summary: "Start a conversation (publishable key for the widget, or a manager+ secret key)",
      middleware: [authenticate({ allow: ["user", "secret_key", "publishable_key"] })],
      request: { body: jsonBody(ConversationCreateBody) },
      responses: { 201: json(ConversationCreatedSchema), ...errorResponses(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.initial_message !== undefined) body.initial_message = sanitizeMessage(body.initial_message);
      await limitConversationStart(c);
      // A first message is answered like any other: no conversation starts that could not answer it.
      if (body.initial_message !== undefined) await checkModelBudget(c.env, c.get("principal").workspaceId);
      const { conversation, token } = await startConversation(c.env, c.get("principal"), body);
      return c.json(
        {
          conversation_id: conversation.id,
          token: token.token,
          token_expires_at: token.expiresAt,
          ws_url: wsUrl(c.req.url, conversation.id),
          status: conversation.status,
        },
        201,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations",
      tags: ["conversations"],
      summary: "The workspace's conversations, most recently updated first; `q` searches their messages",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { query: ConversationInboxQuery },
      responses: { 200: json(page(ConversationSchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor, ...filters } = c.req.valid("query");
      const result = await listConversations(c.env, c.get("principal").workspaceId, filters, limit, cursor);
      return c.json(
        {
          data: result.data.map((r) => ({
            id: r.id,
            assistant_id: r.assistant_id,
            channel: r.channel,
            visitor_id: r.visitor_id,
            status: r.status,
            human_takeover: r.human_takeover,
            satisfaction_score: r.satisfaction_score,
            language: null,
            metadata: r.metadata as Record<string, unknown>,
            created_at: r.created_at,
            updated_at: r.updated_at,
          })),
          next_cursor: result.next_cursor,
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations/{id}",
      tags: ["conversations"],
      middleware: [visitorOrStaff],
      request: { params: IdParam },
      responses: { 200: json(ConversationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const conv = await authorizeConversation(c.env, c.get("principal"), c.req.valid("param").id, "read");
      return c.json(toConversation(conv), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations/{id}/export",
      tags: ["conversations"],
      summary: "The conversation and all its messages as one JSON document",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: IdParam },
      responses: { 200: json(ConversationExportSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      const conv = await authorizeConversation(c.env, principal, id, "read");
      const stub = conversationStub(c.env, id);
      const messages: MessageView[] = [];
      for (let afterSeq = 0; ; ) {
        const batch = await stub.listMessages(afterSeq, EXPORT_BATCH_MESSAGES);
        messages.push(...batch);
        if (batch.length < EXPORT_BATCH_MESSAGES) break;
        afterSeq = batch.at(-1)!.seq;
      }
      await recordAudit(c.env, principal, { action: "conversation.exported", targetType: "conversation", targetId: id }, auditContext(c));
      c.header("Content-Disposition", `attachment; filename="${id}.json"`);
      return c.json({ conversation: toConversation(conv), messages, exported_at: new Date().toISOString() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations/{id}/messages",
      tags: ["conversations"],
      summary: "The conversation's messages, oldest first",
      middleware: [visitorOrStaff],
      request: { params: IdParam, query: PaginationQuery },
      responses: { 200: json(page(MessageSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      await authorizeConversation(c.env, c.get("principal"), id, "read");
      const after = decodeCursor(cursor);
      const afterSeq = after ? Number(after.t) : 0;
      if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new ApiError("invalid_request", "cursor is malformed");
      const rows = await conversationStub(c.env, id).listMessages(afterSeq, limit + 1);
      const data = rows.slice(0, limit);
      const last = data.at(-1);
      return c.json(
        { data, next_cursor: rows.length > limit && last ? encodeCursor({ t: String(last.seq), id: last.id }) : null },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/messages",
      tags: ["conversations"],
      summary: "Send a visitor message and get the answer (JSON, or SSE with stream: true / Accept: text/event-stream)",
      middleware: [visitorOrStaff],
      request: { params: IdParam, body: jsonBody(MessageCreateBody) },
      responses: {
        200: {
          description: "the answer",
          content: {
            "application/json": { schema: MessageAnswerSchema },
            "text/event-stream": { schema: z.string().openapi({ description: "events: delta, response, escalation, error" }) },
          },
        },
        ...errorResponses(400, 401, 403, 404, 429),
      },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      const conv = await authorizeConversation(c.env, principal, id, "write");
      if (principal.kind === "conversation" && principal.role === "agent") {
        throw new ApiError("forbidden", "agents reply with agent-messages");
      }
      const content = sanitizeMessage(body.content);
      // Refused before the message is stored: 429 with Retry-After, for JSON and SSE alike.
      await checkModelBudget(c.env, conv.workspace_id);
      const stub = conversationStub(c.env, id);
      const events = readEvents(await stub.submit(content, body.client_id ?? null));
      const wantsStream = body.stream || (c.req.header("accept") ?? "").includes("text/event-stream");

      if (wantsStream) {
        return streamSSE(c, async (sse) => {
          for await (const e of events) {
            if (e.type === "delta") await sse.writeSSE({ event: "delta", data: JSON.stringify({ message_id: e.message_id, delta: e.delta, seq: e.seq }) });
            else if (e.type === "response") await sse.writeSSE({ event: "response", data: JSON.stringify(e.message) });
            else if (e.type === "escalation") await sse.writeSSE({ event: "escalation", data: JSON.stringify(e) });
            else if (e.type === "error") await sse.writeSSE({ event: "error", data: JSON.stringify({ code: e.code, message: e.message }) });
          }
        });
      }

      let answer: MessageView | null = null;
      let escalationId: string | null = null;
      let refusal: Extract<ServerEvent, { type: "error" }> | null = null;
      for await (const e of events) {
        if (e.type === "response") answer = e.message;
        if (e.type === "escalation") escalationId = e.escalation_id;
        if (e.type === "error" && e.code === "rate_limited") refusal = e;
      }
      // The budget ran out between the check above and the answer: the same 429, late.
      if (!answer && refusal) {
        const retryAfter = refusal.retry_after ?? 60;
        throw new ApiError("rate_limited", refusal.message, { window: "model_tokens", retry_after_seconds: retryAfter }, { "Retry-After": String(retryAfter) });
      }
      const escalation: EscalationView | null = escalationId ? await stub.getEscalation(escalationId) : null;
      return c.json({ message: answer, escalation, human_takeover: answer === null && conv.human_takeover }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/escalate",
      tags: ["conversations"],
      summary: "Hand the conversation to a person (an open escalation is returned, not doubled)",
      middleware: [visitorOrStaff],
      request: { params: IdParam, body: jsonBody(EscalateBody) },
      responses: { 201: json(EscalationSchema), ...errorResponses(400, 401, 403, 404, 429) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      await authorizeConversation(c.env, principal, id, "write");
      if (principal.kind === "conversation" && principal.role === "visitor" && body.reason !== "user_request") {
        throw new ApiError("forbidden", "visitors can only ask for a person (reason user_request)");
      }
      const outcome = await conversationStub(c.env, id).escalate(body.reason, body.note ?? null);
      if (!outcome.escalation) {
        const retryAfter = outcome.retry_after_seconds;
        throw new ApiError(
          "rate_limited",
          "this conversation was handed to a person too often today; the team already has it",
          { retry_after_seconds: retryAfter },
          { "Retry-After": String(retryAfter) },
        );
      }
      return c.json(outcome.escalation, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/resolve",
      tags: ["conversations"],
      summary:
        "Mark the conversation resolved; with `document_id` (manager+), the visitor's question the AI could not answer is kept as a learned phrasing of that document",
      middleware: [visitorOrStaff],
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: ResolveBody } } } },
      responses: { 200: json(ResolvedConversationSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      // The body is optional: callers that send none resolve as before.
      const { document_id } = ResolveBody.parse(await c.req.json());
      const principal = c.get("principal");
      // Teaching the knowledge base is a manager's act, whoever may resolve.
      const conv = await authorizeConversation(c.env, principal, id, document_id ? "manage" : "write");
      let learned: ReturnType<typeof toPhrasing> | null = null;
      if (document_id) {
        const agentId = principal.kind === "conversation" ? principal.agentId! : actorOf(principal).actor_id;
        const stored = await learnFromResolution(c.env, conv, document_id, agentId);
        if (stored?.created) {
          await recordAudit(
            c.env,
            principal,
            {
              action: "phrasing.created",
              targetType: "phrasing",
              targetId: stored.phrasing.id,
              metadata: { document_id, source: "resolution", conversation_id: id },
            },
            auditContext(c),
          );
        }
        learned = stored ? toPhrasing(stored.phrasing) : null;
      }
      const resolved = toConversation(await conversationStub(c.env, id).resolve());
      return c.json(document_id ? { ...resolved, learned_phrasing: learned } : resolved, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/satisfaction",
      tags: ["conversations"],
      middleware: [visitorOrStaff],
      request: { params: IdParam, body: jsonBody(SatisfactionBody) },
      responses: { 200: json(ConversationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      // A rating is a change: the visitor's, or staff who may write (never a watch-only token).
      await authorizeConversation(c.env, c.get("principal"), id, "write");
      return c.json(toConversation(await conversationStub(c.env, id).rate(body.score, body.comment ?? null)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/agent-messages",
      tags: ["conversations"],
      summary: "A human agent's reply; the AI stays silent until the conversation is handed back",
      middleware: [authenticate({ allow: ["user", "secret_key", "conversation"] })],
      request: { params: IdParam, body: jsonBody(AgentMessageBody) },
      responses: { 201: json(MessageSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      await authorizeConversation(c.env, principal, id, "manage");
      const content = sanitizeMessage(c.req.valid("json").content);
      const agentId = principal.kind === "conversation" ? principal.agentId! : actorOf(principal).actor_id;
      const name = await agentDisplayName(createDb(c.env.DB), principal.workspaceId, agentId);
      return c.json(await conversationStub(c.env, id).agentMessage(content, agentId, name), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/handback",
      tags: ["conversations"],
      summary: "Give the conversation back to the AI after a human took over",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: IdParam },
      responses: { 200: json(ConversationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await authorizeConversation(c.env, c.get("principal"), id, "manage");
      return c.json(toConversation(await conversationStub(c.env, id).handBack()), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/token",
      tags: ["conversations"],
      summary:
        "A fresh conversation token: visitors renew theirs (publishable key + visitor_id); staff get an agent token (manager+) or a watch-only observer token (viewer)",
      middleware: [authenticate({ allow: ["user", "secret_key", "publishable_key", "conversation"] })],
      request: { params: IdParam, body: jsonBody(ConversationTokenBody) },
      responses: { 200: json(ConversationTokenSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      let claims: Parameters<typeof signConversationToken>[1];
      if (principal.kind === "publishable_key") {
        const conv = await conversationStub(c.env, id).describe();
        const matches =
          conv &&
          conv.workspace_id === principal.workspaceId &&
          conv.assistant_id === principal.assistantId &&
          body.visitor_id !== undefined &&
          conv.visitor_id === body.visitor_id;
        if (!matches) throw notFound("conversation");
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
conversationsRoutes.get("/conversations/:id/ws", async (c) => {
  const id = c.req.param("id");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError("invalid_request", "this route expects a WebSocket upgrade", { expected_header: "Upgrade: websocket" });
  }
  const token = c.req.query("token");
  const claims = token ? await verifyConversationToken(c.env, token) : null;
  if (!claims) throw new ApiError("unauthorized", "missing, invalid or expired conversation token");
  if (claims.conversationId !== id) throw notFound("conversation");
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
  return conversationStub(c.env, id).fetch(new Request(c.req.url, { headers }));
});
