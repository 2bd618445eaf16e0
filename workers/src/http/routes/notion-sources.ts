import { createRoute, z } from "@hono/zod-openapi";
import { idOf, NotionSourceCreateBody, NotionSourceSchema } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { addNotionSources, deleteNotionSource, getNotionSource, listNotionSources, requestNotionSync } from "../../knowledge/notion/sources";
import { createDb } from "../../storage/db";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const AssistantParam = z.strictObject({ id: idOf("ast").openapi({ param: { name: "id", in: "path" } }) });
const SourceParam = z.strictObject({ id: idOf("nsrc").openapi({ param: { name: "id", in: "path" } }) });

/**
 * Notion pages and databases as knowledge. Managers add, sync and remove them (the token is the
 * admin's `notion` integration); viewers see their sync state. Syncs run on the ingestion queue.
 */
export const notionSourcesRoutes = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/notion-sources",
      tags: ["knowledge"],
      summary: "Add Notion pages and/or a database to an assistant's knowledge; their first sync is queued",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: AssistantParam, body: jsonBody(NotionSourceCreateBody) },
      responses: { 202: json(z.object({ data: z.array(NotionSourceSchema) }), "queued for sync"), ...errorResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const principal = c.get("principal");
      const sources = await addNotionSources(c.env, principal.workspaceId, c.req.valid("param").id, c.req.valid("json"));
      for (const source of sources) {
        await recordAudit(
          c.env,
          principal,
          { action: "notion_source.added", targetType: "notion_source", targetId: source.id, metadata: { kind: source.kind, notion_id: source.notion_id } },
          auditContext(c),
        );
      }
      return c.json({ data: sources }, 202);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}/notion-sources",
      tags: ["knowledge"],
      summary: "An assistant's Notion sources with their sync state",
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: AssistantParam },
      responses: { 200: json(z.object({ data: z.array(NotionSourceSchema) })), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json({ data: await listNotionSources(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/notion-sources/{id}",
      tags: ["knowledge"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: SourceParam },
      responses: { 200: json(NotionSourceSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await getNotionSource(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/notion-sources/{id}/sync",
      tags: ["knowledge"],
      summary: "Re-sync a Notion source: edited pages are indexed again, deleted ones removed",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: SourceParam },
      responses: { 202: json(NotionSourceSchema, "queued for sync"), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => c.json(await requestNotionSync(c.env, c.get("principal").workspaceId, c.req.valid("param").id), 202),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/notion-sources/{id}",
      tags: ["knowledge"],
      summary: "Remove a Notion source and its pages' documents",
      middleware: [authenticate({ minRole: "manager" })],
      request: { params: SourceParam },
      responses: { 204: { description: "removed" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      const principal = c.get("principal");
      await deleteNotionSource(c.env, principal.workspaceId, id);
      await recordAudit(c.env, principal, { action: "notion_source.deleted", targetType: "notion_source", targetId: id }, auditContext(c));
      return c.body(null, 204);
    },
  );
