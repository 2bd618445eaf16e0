import { createRoute } from "@hono/zod-openapi";
import {
  ConversationCreateBody,
  ConversationCreatedSchema,
  ConversationExportSchema,
  ConversationInboxQuery,
  ConversationSchema,
  EscalateBody,
  EscalationSchema,
  page,
  ResolveBody,
  ResolvedConversationSchema,
  SatisfactionBody,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { actorOf } from "../../auth/principal";
import type { MessageView } from "../../conversation/protocol";
import { sanitizeMessage } from "../../conversation/sanitize";
import { authorizeConversation, conversationStub, listConversations, startConversation, wsUrl } from "../../conversation/service";
import { learnFromResolution, toPhrasing } from "../../knowledge/phrasings";
import { ApiError } from "../../lib/errors";
import { checkModelBudget } from "../../limits/model-budget";
import { ANYONE, authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";
import { limitConversationStart } from "../rate-limit/conversation-starts";
import { ConversationIdParam, toConversation } from "./conversation-shape";

const visitorOrStaff = authenticate({ allow: ANYONE });
/** Messages read from the Durable Object per call while exporting. */
const EXPORT_BATCH_MESSAGES = 500;

/**
 * Conversations as a resource: start, list, read, export, hand to a person, resolve, rate and
 * hand back. Their messages are in `conversation-messages.ts`, tokens and sockets in
 * `conversation-access.ts`.
 */
export const conversationsRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations",
      tags: ["conversations"],
      summary:
        "Start a conversation (publishable key for the widget, or a manager+ secret key); with `identity` a verified one, and with `resume` the verified user's open conversation when there is one (200)",
      middleware: [authenticate({ allow: ["user", "secret_key", "publishable_key"] })],
      request: { body: jsonBody(ConversationCreateBody) },
      responses: {
        201: json(ConversationCreatedSchema, "a new conversation"),
        200: json(ConversationCreatedSchema, "the verified user's open conversation, resumed"),
        ...errorResponses(400, 401, 403, 404, 409, 429),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      if (body.initial_message !== undefined) body.initial_message = sanitizeMessage(body.initial_message);
      await limitConversationStart(c);
      // A first message is answered like any other: no conversation starts that could not answer it.
      if (body.initial_message !== undefined) await checkModelBudget(c.env, c.get("principal").workspaceId);
      const { conversation, token, resumed } = await startConversation(c.env, c.get("principal"), body);
      const created = {
        conversation_id: conversation.id,
        token: token.token,
        token_expires_at: token.expiresAt,
        ws_url: wsUrl(c.req.url, conversation.id),
        status: conversation.status,
        visitor_id: conversation.visitor_id,
        verified: conversation.verified,
        resumed,
      };
      return resumed ? c.json(created, 200) : c.json(created, 201);
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
          data: result.data.map(toConversation),
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
      request: { params: ConversationIdParam },
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
      request: { params: ConversationIdParam },
      responses: { 200: json(ConversationExportSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      const conv = await authorizeConversation(c.env, principal, id, "read");
      const stub = await conversationStub(c.env, c.get("principal").workspaceId, id);
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
      method: "post",
      path: "/conversations/{id}/escalate",
      tags: ["conversations"],
      summary: "Hand the conversation to a person (an open escalation is returned, not doubled)",
      middleware: [visitorOrStaff],
      request: { params: ConversationIdParam, body: jsonBody(EscalateBody) },
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
      const outcome = await (await conversationStub(c.env, c.get("principal").workspaceId, id)).escalate(body.reason, body.note ?? null);
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
      request: { params: ConversationIdParam, body: { required: false, content: { "application/json": { schema: ResolveBody } } } },
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
        const question = await (await conversationStub(c.env, c.get("principal").workspaceId, conv.id)).unansweredQuestion();
        const stored = await learnFromResolution(c.env, { ...conv, unansweredQuestion: question?.content ?? null }, document_id, agentId);
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
      const resolved = toConversation(await (await conversationStub(c.env, c.get("principal").workspaceId, id)).resolve());
      return c.json(document_id ? { ...resolved, learned_phrasing: learned } : resolved, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/satisfaction",
      tags: ["conversations"],
      middleware: [visitorOrStaff],
      request: { params: ConversationIdParam, body: jsonBody(SatisfactionBody) },
      responses: { 200: json(ConversationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      // A rating is a change: the visitor's, or staff who may write (never a watch-only token).
      await authorizeConversation(c.env, c.get("principal"), id, "write");
      return c.json(toConversation(await (await conversationStub(c.env, c.get("principal").workspaceId, id)).rate(body.score, body.comment ?? null)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/conversations/{id}/handback",
      tags: ["conversations"],
      summary: "Give the conversation back to the AI after a human took over",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: ConversationIdParam },
      responses: { 200: json(ConversationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      await authorizeConversation(c.env, c.get("principal"), id, "manage");
      return c.json(toConversation(await (await conversationStub(c.env, c.get("principal").workspaceId, id)).handBack()), 200);
    },
  );
