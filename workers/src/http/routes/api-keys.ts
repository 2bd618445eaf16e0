import { createRoute, z } from "@hono/zod-openapi";
import {
  ApiKeyCreateBody,
  ApiKeyRotateBody,
  ApiKeySchema,
  ApiKeyWithSecretSchema,
  idOf,
  page,
  PaginationQuery,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey, toApiKey } from "../../auth/api-keys";
import { actorOf } from "../../auth/principal";
import { createDb } from "../../storage/db";
import { getAssistant } from "../../tenancy/assistants";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const IdParam = z.strictObject({ id: idOf("key").openapi({ param: { name: "id", in: "path" } }) });

/** API keys: admin only. The full key is in the create and rotate answers and nowhere else. */
export const apiKeysRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/api-keys",
      tags: ["api-keys"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { query: PaginationQuery },
      responses: { 200: json(page(ApiKeySchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listApiKeys(createDb(c.env.DB), c.get("principal").workspaceId, limit, cursor);
      return c.json({ data: result.data.map(toApiKey), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api-keys",
      tags: ["api-keys"],
      summary: "Create a secret (sk_live_) or publishable (pk_live_) key; the key is shown once",
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(ApiKeyCreateBody) },
      responses: { 201: json(ApiKeyWithSecretSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const db = createDb(c.env.DB);
      const createdBy = actorOf(p).actor_id;
      const { row, key } =
        body.type === "publishable"
          ? await createApiKey(
              db,
              p.workspaceId,
              {
                type: "publishable",
                name: body.name,
                assistantId: (await getAssistant(db, p.workspaceId, body.assistant_id)).id,
                allowedOrigins: body.allowed_origins ?? [],
              },
              createdBy,
            )
          : await createApiKey(
              db,
              p.workspaceId,
              { type: "secret", name: body.name, scope: body.scope, expiresInDays: body.expires_in_days },
              createdBy,
            );
      await recordAudit(
        c.env,
        p,
        { action: "api_key.created", targetType: "api_key", targetId: row.id, metadata: { type: row.type, scope: row.scope } },
        auditContext(c),
      );
      return c.json({ ...toApiKey(row), key }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/api-keys/{id}/rotate",
      tags: ["api-keys"],
      summary: "Replace a key's secret; the old one stops working (after an optional overlap)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: IdParam, body: { required: false, content: { "application/json": { schema: ApiKeyRotateBody } } } },
      responses: { 200: json(ApiKeyWithSecretSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const { overlap_seconds } = ApiKeyRotateBody.parse(await c.req.json());
      const { row, key } = await rotateApiKey(createDb(c.env.DB), p.workspaceId, id, overlap_seconds);
      await recordAudit(
        c.env,
        p,
        { action: "api_key.rotated", targetType: "api_key", targetId: id, metadata: { overlap_seconds } },
        auditContext(c),
      );
      return c.json({ ...toApiKey(row), key }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/api-keys/{id}",
      tags: ["api-keys"],
      summary: "Revoke a key; it stops working on the next request",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: IdParam },
      responses: { 200: json(ApiKeySchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const row = await revokeApiKey(createDb(c.env.DB), p.workspaceId, id);
      await recordAudit(c.env, p, { action: "api_key.revoked", targetType: "api_key", targetId: id }, auditContext(c));
      return c.json(toApiKey(row), 200);
    },
  );
