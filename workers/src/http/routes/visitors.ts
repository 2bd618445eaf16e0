import { createRoute } from "@hono/zod-openapi";
import { VisitorErasureSchema, VisitorExportSchema, VisitorParam } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { eraseVisitor, exportVisitor, visitorFingerprint } from "../../compliance/visitor-data";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, router } from "../openapi";

/** A visitor's data rights (admin): export everything held about them, or erase it everywhere. */
export const visitorsRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/visitors/{visitor_id}/export",
      tags: ["data rights"],
      summary: "Every conversation and message of a visitor, as JSON",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: VisitorParam },
      responses: { 200: json(VisitorExportSchema), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { visitor_id } = c.req.valid("param");
      const data = await exportVisitor(c.env, p.workspaceId, visitor_id);
      await recordAudit(
        c.env,
        p,
        { action: "visitor.exported", targetType: "visitor", targetId: await visitorFingerprint(p.workspaceId, visitor_id), metadata: { conversations: data.conversations.length } },
        auditContext(c),
      );
      c.header("Content-Disposition", 'attachment; filename="visitor-export.json"');
      c.header("Cache-Control", "no-store");
      return c.json(data, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/visitors/{visitor_id}",
      tags: ["data rights"],
      summary: "Erase a visitor everywhere: conversations, messages, files, analytics events",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: VisitorParam },
      responses: { 200: json(VisitorErasureSchema, "what was erased, in counts"), ...errorResponses(400, 401, 403) },
    }),
    async (c) => c.json(await eraseVisitor(c.env, c.get("principal"), c.req.valid("param").visitor_id, auditContext(c)), 200),
  );
