import { createRoute, z } from "@hono/zod-openapi";
import { idOf, McpServerCreateBody, McpServerListSchema, McpServerSchema } from "../../../../schema/api";
import { connectMcpServer, deleteMcpServer, listMcpServers, refreshMcpServer } from "../../actions/mcp-servers";
import { recordAudit } from "../../analytics/audit";
import { createDb } from "../../storage/db";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const AssistantParam = z.strictObject({ id: idOf("ast").openapi({ param: { name: "id", in: "path" } }) });
const ServerParam = z.strictObject({ id: idOf("mcp").openapi({ param: { name: "id", in: "path" } }) });

/** Remote MCP servers whose tools become an assistant's actions (managers read them, admins change them). */
export const mcpServersRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}/mcp-servers",
      tags: ["actions"],
      summary: "The MCP servers connected to the assistant, oldest first, with the actions their tools became",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: AssistantParam },
      responses: { 200: json(McpServerListSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const data = await listMcpServers(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json({ data }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/mcp-servers",
      tags: ["actions"],
      summary: "Connect an MCP server (Streamable HTTP); its tools become actions. The same URL again refreshes them",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: AssistantParam, body: jsonBody(McpServerCreateBody) },
      responses: { 201: json(McpServerSchema), 200: json(McpServerSchema, "already connected: refreshed"), ...errorResponses(400, 401, 403, 404, 502) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { server, created } = await connectMcpServer(c.env, createDb(c.env.DB), p.workspaceId, c.req.valid("param").id, c.req.valid("json"));
      await recordAudit(
        c.env,
        p,
        { action: created ? "mcp_server.connected" : "mcp_server.refreshed", targetType: "mcp_server", targetId: server.id, metadata: { assistant_id: server.assistant_id, tools: server.actions.map((a) => a.name), headers_set: server.headers_set } },
        auditContext(c),
      );
      return c.json(server, created ? 201 : 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/mcp-servers/{id}/refresh",
      tags: ["actions"],
      summary: "List the server's tools again: new ones become actions, gone ones are removed",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: ServerParam },
      responses: { 200: json(McpServerSchema), ...errorResponses(400, 401, 403, 404, 502) },
    }),
    async (c) => {
      const p = c.get("principal");
      const server = await refreshMcpServer(c.env, createDb(c.env.DB), p.workspaceId, c.req.valid("param").id);
      await recordAudit(c.env, p, { action: "mcp_server.refreshed", targetType: "mcp_server", targetId: server.id, metadata: { tools: server.actions.map((a) => a.name) } }, auditContext(c));
      return c.json(server, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/mcp-servers/{id}",
      tags: ["actions"],
      summary: "Disconnect a server and remove the actions its tools became",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: ServerParam },
      responses: { 204: { description: "removed" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      await deleteMcpServer(createDb(c.env.DB), p.workspaceId, c.req.valid("param").id);
      await recordAudit(c.env, p, { action: "mcp_server.deleted", targetType: "mcp_server", targetId: c.req.valid("param").id }, auditContext(c));
      return c.body(null, 204);
    },
  );
