import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { AgentMessageBody, MessageAnswerSchema, MessageCreateBody, MessageSchema, page, PaginationQuery } from "../../../../schema/api";
import { actorOf } from "../../auth/principal";
import { readEvents } from "../../conversation/event-stream";
import type { EscalationView, MessageView, ServerEvent } from "../../conversation/protocol";
import { sanitizeMessage } from "../../conversation/sanitize";
import { currentTraceparent } from "../../lib/trace-context";
import { authorizeConversation, conversationStub } from "../../conversation/service";
import { ApiError } from "../../lib/errors";
import { decodeCursor, encodeCursor } from "../../lib/pagination";
import { checkModelBudget } from "../../limits/model-budget";
import { createDb } from "../../storage/db";
import { agentDisplayName } from "../../tenancy/workspaces";
import { ANYONE, authenticate } from "../middleware/authenticate";
import { errorResponses, json, jsonBody, router } from "../openapi";
import { ConversationIdParam } from "./conversation-shape";

const visitorOrStaff = authenticate({ allow: ANYONE });

/** A conversation's messages over REST (JSON or SSE): read them, send a visitor's, send an agent's. */
export const conversationMessagesRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/conversations/{id}/messages",
      tags: ["conversations"],
      summary: "The conversation's messages, oldest first",
      middleware: [visitorOrStaff],
      request: { params: ConversationIdParam, query: PaginationQuery },
      responses: { 200: json(page(MessageSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { limit, cursor } = c.req.valid("query");
      await authorizeConversation(c.env, c.get("principal"), id, "read");
      const after = decodeCursor(cursor);
      const afterSeq = after ? Number(after.t) : 0;
      if (!Number.isInteger(afterSeq) || afterSeq < 0) throw new ApiError("invalid_request", "cursor is malformed");
      const rows = await (await conversationStub(c.env, c.get("principal").workspaceId, id)).listMessages(afterSeq, limit + 1);
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
      request: { params: ConversationIdParam, body: jsonBody(MessageCreateBody) },
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
      const stub = await conversationStub(c.env, c.get("principal").workspaceId, id);
      const events = readEvents(await stub.submit(content, body.client_id ?? null, currentTraceparent()));
      const wantsStream = body.stream || (c.req.header("accept") ?? "").includes("text/event-stream");

      if (wantsStream) {
        return streamSSE(c, async (sse) => {
          for await (const e of events) {
            if (e.type === "delta") await sse.writeSSE({ event: "delta", data: JSON.stringify({ message_id: e.message_id, delta: e.delta, seq: e.seq }) });
            else if (e.type === "response") await sse.writeSSE({ event: "response", data: JSON.stringify(e.message) });
            else if (e.type === "escalation") await sse.writeSSE({ event: "escalation", data: JSON.stringify(e) });
            else if (e.type === "tool") await sse.writeSSE({ event: "tool", data: JSON.stringify({ call_id: e.call_id, name: e.name, status: e.status }) });
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
      path: "/conversations/{id}/agent-messages",
      tags: ["conversations"],
      summary: "A human agent's reply; the AI stays silent until the conversation is handed back",
      middleware: [authenticate({ allow: ["user", "secret_key", "conversation"] })],
      request: { params: ConversationIdParam, body: jsonBody(AgentMessageBody) },
      responses: { 201: json(MessageSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      await authorizeConversation(c.env, principal, id, "manage");
      const content = sanitizeMessage(c.req.valid("json").content);
      const agentId = principal.kind === "conversation" ? principal.agentId! : actorOf(principal).actor_id;
      const name = await agentDisplayName(createDb(c.env.DB), principal.workspaceId, agentId);
      return c.json(await (await conversationStub(c.env, c.get("principal").workspaceId, id)).agentMessage(content, agentId, name), 201);
    },
  );
