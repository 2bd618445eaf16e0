import { createRoute } from "@hono/zod-openapi";
import { WorkspaceDeleteBody, WorkspaceSchema, WorkspaceUpdateBody } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { createDb } from "../../storage/db";
import { closeWorkspace, updateWorkspace } from "../../tenancy/workspace-settings";
import { getWorkspace, toWorkspace } from "../../tenancy/workspaces";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

/** The caller's workspace: everyone reads it, admins change or close it. */
export const workspaceRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/workspace",
      tags: ["workspace"],
      middleware: [authenticate({ minRole: "viewer" })],
      responses: { 200: json(WorkspaceSchema), ...errorResponses(401, 403) },
    }),
    async (c) => c.json(toWorkspace(await getWorkspace(createDb(c.env.DB), c.get("principal").workspaceId)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/workspace",
      tags: ["workspace"],
      summary: "Rename the workspace or change its data retention",
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(WorkspaceUpdateBody) },
      responses: { 200: json(WorkspaceSchema), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const row = await updateWorkspace(createDb(c.env.DB), p.workspaceId, body);
      await recordAudit(
        c.env,
        p,
        { action: "workspace.updated", targetType: "workspace", targetId: p.workspaceId, metadata: { fields: Object.keys(body) } },
        auditContext(c),
      );
      return c.json(toWorkspace(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/workspace",
      tags: ["workspace"],
      summary: "Close the workspace: members are signed out and keys revoked (confirm with its name)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(WorkspaceDeleteBody) },
      responses: { 204: { description: "closed" }, ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      // Audited first: once closed, nothing of the workspace can act any more.
      await recordAudit(c.env, p, { action: "workspace.closed", targetType: "workspace", targetId: p.workspaceId }, auditContext(c));
      await closeWorkspace(createDb(c.env.DB), p.workspaceId, c.req.valid("json").confirm_name);
      return c.body(null, 204);
    },
  );
