import { createRoute } from "@hono/zod-openapi";
import { EscalationListQuery, EscalationRecordSchema, page } from "../../../../schema/api";
import { listEscalations } from "../../channels/escalation-records";
import { authenticate } from "../middleware/authenticate";
import { errorResponses, json, router } from "../openapi";

/** `GET /escalations` (viewer+): escalations with their ticket and delivery state, newest first. */
export const escalationsRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/escalations",
    tags: ["conversations"],
    summary: "Escalations with their ticket and last delivery error; `failed=true` lists the ones that need attention",
    middleware: [authenticate({ minRole: "viewer" })],
    request: { query: EscalationListQuery },
    responses: { 200: json(page(EscalationRecordSchema)), ...errorResponses(400, 401, 403) },
  }),
  async (c) => {
    const { limit, cursor, ...filters } = c.req.valid("query");
    const result = await listEscalations(c.env, c.get("principal").workspaceId, filters, limit, cursor);
    return c.json(
      {
        data: result.data.map((e) => ({
          id: e.id,
          conversation_id: e.conversation_id,
          reason: e.reason,
          note: e.note,
          status: e.status,
          ticket_id: e.ticket_id,
          ticket_provider: e.ticket_provider,
          last_error: e.last_error,
          resolved_by: e.resolved_by,
          resolved_at: e.resolved_at,
          created_at: e.created_at,
          updated_at: e.updated_at,
        })),
        next_cursor: result.next_cursor,
      },
      200,
    );
  },
);
