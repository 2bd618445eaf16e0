import { createRoute } from "@hono/zod-openapi";
import { AuditLogSchema, page, PaginationQuery } from "../../../../schema/api";
import { createAnalyticsSink } from "../../analytics/create-sink";
import { authenticate } from "../middleware/authenticate";
import { errorResponses, json, router } from "../openapi";

/** The workspace's audit log, newest first (admin). */
export const auditLogsRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/audit-logs",
    tags: ["audit"],
    middleware: [authenticate({ minRole: "admin" })],
    request: { query: PaginationQuery },
    responses: { 200: json(page(AuditLogSchema)), ...errorResponses(400, 401, 403) },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    return c.json(await createAnalyticsSink(c.env).listAudit(c.get("principal").workspaceId, limit, cursor), 200);
  },
);
