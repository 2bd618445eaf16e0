import { createRoute, z } from "@hono/zod-openapi";
import {
  idOf,
  page,
  PaginationQuery,
  SavedReplyCreateBody,
  SavedReplyListQuery,
  SavedReplySchema,
  SavedReplyUpdateBody,
  SavedReplyUseBody,
  SavedReplyUseSchema,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { actorOf } from "../../auth/principal";
import { authorizeConversation } from "../../conversation/service";
import { createDb } from "../../storage/db";
import { getAssistant } from "../../tenancy/assistants";
import {
  countSavedReplyUse,
  createSavedReply,
  deleteSavedReply,
  fillSavedReply,
  getSavedReply,
  listSavedReplies,
  toSavedReply,
  updateSavedReply,
} from "../../tenancy/saved-replies";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const SavedReplyParam = z.strictObject({ id: idOf("srp").openapi({ param: { name: "id", in: "path" } }) });

/**
 * The workspace's saved replies. Viewers read them; managers and admins (the people who reply
 * to visitors) use, create, change and delete them.
 */
export const savedRepliesRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/saved-replies",
      tags: ["saved replies"],
      summary: "The workspace's saved replies, most used first, then by title",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { query: PaginationQuery.extend(SavedReplyListQuery.shape) },
      responses: { 200: json(page(SavedReplySchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor, q } = c.req.valid("query");
      const result = await listSavedReplies(createDb(c.env.DB), c.get("principal").workspaceId, { q, limit, cursor });
      return c.json({ data: result.data.map(toSavedReply), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/saved-replies",
      tags: ["saved replies"],
      summary: "Save a reply (variables: {{visitor.name}}, {{conversation.link}}, {{assistant.name}})",
      middleware: [authenticate({ minRole: "manager" })],
      request: { body: jsonBody(SavedReplyCreateBody) },
      responses: { 201: json(SavedReplySchema), ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const principal = c.get("principal");
      const row = await createSavedReply(createDb(c.env.DB), principal.workspaceId, { ...body, createdBy: actorOf(principal).actor_id });
      await recordAudit(c.env, principal, { action: "saved_reply.created", targetType: "saved_reply", targetId: row.id }, auditContext(c));
      return c.json(toSavedReply(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/saved-replies/{id}",
      tags: ["saved replies"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: SavedReplyParam },
      responses: { 200: json(SavedReplySchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const row = await getSavedReply(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json(toSavedReply(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/saved-replies/{id}",
      tags: ["saved replies"],
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: SavedReplyParam, body: jsonBody(SavedReplyUpdateBody) },
      responses: { 200: json(SavedReplySchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      const row = await updateSavedReply(createDb(c.env.DB), principal.workspaceId, id, c.req.valid("json"));
      await recordAudit(c.env, principal, { action: "saved_reply.updated", targetType: "saved_reply", targetId: id }, auditContext(c));
      return c.json(toSavedReply(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/saved-replies/{id}",
      tags: ["saved replies"],
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: SavedReplyParam },
      responses: { 204: { description: "deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      await deleteSavedReply(createDb(c.env.DB), principal.workspaceId, id);
      await recordAudit(c.env, principal, { action: "saved_reply.deleted", targetType: "saved_reply", targetId: id }, auditContext(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/saved-replies/{id}/use",
      tags: ["saved replies"],
      summary: "Count a use of the reply; with `conversation_id`, also return its text with the variables filled",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: SavedReplyParam, body: jsonBody(SavedReplyUseBody) },
      responses: { 200: json(SavedReplyUseSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const { conversation_id } = c.req.valid("json");
      const principal = c.get("principal");
      const db = createDb(c.env.DB);
      const reply = await getSavedReply(db, principal.workspaceId, id);
      let text: string | null = null;
      if (conversation_id) {
        const conv = await authorizeConversation(c.env, principal, conversation_id, "write");
        const assistant = await getAssistant(db, principal.workspaceId, conv.assistant_id);
        const name = conv.identity?.name ?? conv.metadata.name;
        text = fillSavedReply(reply.body, {
          visitorName: typeof name === "string" ? name : null,
          conversationLink: `${c.env.DASHBOARD_URL.replace(/\/+$/, "")}/conversations/${conv.id}`,
          assistantName: assistant.name,
        });
      }
      const used = await countSavedReplyUse(db, principal.workspaceId, id);
      return c.json({ reply: toSavedReply(used), text }, 200);
    },
  );
