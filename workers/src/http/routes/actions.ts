import { createRoute, z } from "@hono/zod-openapi";
import {
  ActionCallSchema,
  ActionCallsQuery,
  ActionCreateBody,
  ActionImportBody,
  ActionImportResultSchema,
  ActionSchema,
  ActionTestBody,
  ActionTestResultSchema,
  ActionUpdateBody,
  idOf,
  page,
  PaginationQuery,
} from "../../../../schema/api";
import { listCalls } from "../../actions/action-calls";
import { createAction, deleteAction, getActionRow, listActions, toAction, updateAction } from "../../actions/action-store";
import { importOpenApi } from "../../actions/openapi-import";
import { testAction } from "../../actions/test-action";
import { recordAudit } from "../../analytics/audit";
import { createDb } from "../../storage/db";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const AssistantParam = z.strictObject({ id: idOf("ast").openapi({ param: { name: "id", in: "path" } }) });
const ActionParam = z.strictObject({ id: idOf("act").openapi({ param: { name: "id", in: "path" } }) });

/** An assistant's actions: managers read them, admins change, import and test them. */
export const actionsRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}/actions",
      tags: ["actions"],
      summary: "The assistant's actions, newest first",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: AssistantParam, query: PaginationQuery },
      responses: { 200: json(page(ActionSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listActions(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id, limit, cursor);
      return c.json({ data: result.data.map(toAction), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/actions",
      tags: ["actions"],
      summary: "Define an HTTP action; header values are write-only",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: AssistantParam, body: jsonBody(ActionCreateBody) },
      responses: { 201: json(ActionSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const row = await createAction(c.env, createDb(c.env.DB), p.workspaceId, c.req.valid("param").id, c.req.valid("json"));
      await recordAudit(
        c.env,
        p,
        { action: "action.created", targetType: "action", targetId: row.id, metadata: { assistant_id: row.assistant_id, name: row.name, kind: row.kind, headers_set: row.headers_set } },
        auditContext(c),
      );
      return c.json(toAction(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/actions/import",
      tags: ["actions"],
      summary: "Create one action per operation of an OpenAPI 3 document (JSON or YAML)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: AssistantParam, body: jsonBody(ActionImportBody) },
      responses: { 201: json(ActionImportResultSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { created, skipped } = await importOpenApi(c.env, createDb(c.env.DB), p.workspaceId, c.req.valid("param").id, c.req.valid("json"));
      await recordAudit(
        c.env,
        p,
        { action: "action.imported", targetType: "assistant", targetId: c.req.valid("param").id, metadata: { created: created.map((r) => r.name), skipped: skipped.length } },
        auditContext(c),
      );
      return c.json({ data: created.map(toAction), skipped }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/actions/{id}",
      tags: ["actions"],
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: ActionParam },
      responses: { 200: json(ActionSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(toAction(await getActionRow(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id)), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/actions/{id}",
      tags: ["actions"],
      summary: "Change an action; `headers` sets the given ones (null removes one)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: ActionParam, body: jsonBody(ActionUpdateBody) },
      responses: { 200: json(ActionSchema), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const patch = c.req.valid("json");
      const { row, headersChanged } = await updateAction(c.env, createDb(c.env.DB), p.workspaceId, c.req.valid("param").id, patch);
      await recordAudit(
        c.env,
        p,
        // Which fields and headers changed, never the header values.
        { action: "action.updated", targetType: "action", targetId: row.id, metadata: { fields: Object.keys(patch).filter((k) => k !== "headers"), headers_changed: headersChanged } },
        auditContext(c),
      );
      return c.json(toAction(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/actions/{id}",
      tags: ["actions"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: ActionParam },
      responses: { 204: { description: "removed" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const row = await deleteAction(createDb(c.env.DB), p.workspaceId, c.req.valid("param").id);
      await recordAudit(c.env, p, { action: "action.deleted", targetType: "action", targetId: row.id, metadata: { name: row.name, assistant_id: row.assistant_id } }, auditContext(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/actions/{id}/test",
      tags: ["actions"],
      summary: "Run one call with the given arguments and answer with its result (logged like any call)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: ActionParam, body: jsonBody(ActionTestBody) },
      responses: { 200: json(ActionTestResultSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const result = await testAction(c.env, p.workspaceId, c.req.valid("param").id, c.req.valid("json"));
      await recordAudit(c.env, p, { action: "action.tested", targetType: "action", targetId: c.req.valid("param").id, metadata: { status: result.status, call_id: result.call.id } }, auditContext(c));
      return c.json(result, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/actions/{id}/calls",
      tags: ["actions"],
      summary: "The action's recent calls, newest first (arguments and results redacted); `status=failed` for failures",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: ActionParam, query: ActionCallsQuery },
      responses: { 200: json(page(ActionCallSchema)), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const q = c.req.valid("query");
      return c.json(await listCalls(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id, q), 200);
    },
  );
