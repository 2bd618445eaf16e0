import { createRoute, z } from "@hono/zod-openapi";
import { idOf, page, PaginationQuery, PhrasingCreateBody, PhrasingSchema } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { actorOf } from "../../auth/principal";
import { addPhrasing, deletePhrasing, listPhrasings, toPhrasing, type AskedIn } from "../../knowledge/phrasings";
import { conversationStub } from "../../conversation/service";
import { ApiError } from "../../lib/errors";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const DocumentParam = z.strictObject({ id: idOf("doc").openapi({ param: { name: "id", in: "path" } }) });
const PhrasingParam = z.strictObject({
  id: idOf("doc").openapi({ param: { name: "id", in: "path" } }),
  phrasing_id: idOf("phr").openapi({ param: { name: "phrasing_id", in: "path" } }),
});

/**
 * A document's learned phrasings: wordings of the questions it answers, matched by retrieval
 * like its title. Viewers read them; managers add and remove them.
 */
export const phrasingsRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/documents/{id}/phrasings",
      tags: ["knowledge"],
      summary: "The document's learned phrasings, newest first",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: DocumentParam, query: PaginationQuery },
      responses: { 200: json(page(PhrasingSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listPhrasings(c.env, c.get("principal").workspaceId, c.req.valid("param").id, limit, cursor);
      return c.json({ data: result.data.map(toPhrasing), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/documents/{id}/phrasings",
      tags: ["knowledge"],
      summary: "Teach the document a wording of a question it answers (the same text twice is kept once)",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: DocumentParam, body: jsonBody(PhrasingCreateBody) },
      responses: { 201: json(PhrasingSchema), 200: json(PhrasingSchema, "the same phrasing was already there"), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const body = c.req.valid("json");
      const principal = c.get("principal");
      const { phrasing, created } = await addPhrasing(c.env, principal.workspaceId, id, {
        text: body.text,
        askedIn: body.conversation_id ? await askedIn(c.env, principal.workspaceId, body.conversation_id) : null,
        createdBy: actorOf(principal).actor_id,
      });
      if (created) {
        await recordAudit(
          c.env,
          principal,
          { action: "phrasing.created", targetType: "phrasing", targetId: phrasing.id, metadata: { document_id: id, source: "manual" } },
          auditContext(c),
        );
      }
      return c.json(toPhrasing(phrasing), created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/documents/{id}/phrasings/{phrasing_id}",
      tags: ["knowledge"],
      summary: "Remove a learned phrasing; retrieval stops using it at once",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: PhrasingParam },
      responses: { 204: { description: "removed" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id, phrasing_id } = c.req.valid("param");
      const principal = c.get("principal");
      await deletePhrasing(c.env, principal.workspaceId, id, phrasing_id);
      await recordAudit(
        c.env,
        principal,
        { action: "phrasing.deleted", targetType: "phrasing", targetId: phrasing_id, metadata: { document_id: id } },
        auditContext(c),
      );
      return c.body(null, 204);
    },
  );

/** A conversation of the workspace and its visitor; 400 for any other id. */
async function askedIn(env: Env, workspaceId: string, conversationId: string): Promise<AskedIn> {
  const conv = await (await conversationStub(env, workspaceId, conversationId)).describe();
  if (!conv || conv.workspace_id !== workspaceId) {
    throw new ApiError("invalid_request", "`conversation_id` names no conversation of this workspace", { field: "conversation_id" });
  }
  return { conversationId, visitorId: conv.visitor_id };
}
