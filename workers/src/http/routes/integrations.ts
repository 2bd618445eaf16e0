import { createRoute, z } from "@hono/zod-openapi";
import { IntegrationSchema, IntegrationTypeSchema, IntegrationUpdateBody } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { getIntegration, listIntegrations, parseIntegrationType, saveIntegration } from "../../channels/integrations";
import { createDb } from "../../storage/db";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

// A plain string here so an unknown type is a 404 (no such resource), not a 400.
const TypeParam = z.strictObject({
  type: z.string().max(40).openapi({ param: { name: "type", in: "path" }, enum: IntegrationTypeSchema.options }),
});

/** Integration settings (admin only). Secrets are write-only: reads say which are set. */
export const integrationsRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations",
      tags: ["integrations"],
      summary: "Every integration type with its settings",
      middleware: [authenticate({ minRole: "admin" })],
      responses: { 200: json(z.object({ data: z.array(IntegrationSchema) })), ...errorResponses(401, 403) },
    }),
    async (c) => c.json({ data: await listIntegrations(c.env, createDb(c.env.DB), c.get("principal").workspaceId) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations/{type}",
      tags: ["integrations"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: TypeParam },
      responses: { 200: json(IntegrationSchema), ...errorResponses(401, 403, 404) },
    }),
    async (c) => {
      const type = parseIntegrationType(c.req.valid("param").type);
      return c.json(await getIntegration(c.env, createDb(c.env.DB), c.get("principal").workspaceId, type), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/integrations/{type}",
      tags: ["integrations"],
      summary: "Save an integration: settings replace, each given secret is set (null clears it)",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: TypeParam, body: jsonBody(IntegrationUpdateBody) },
      responses: { 200: json(IntegrationSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const type = parseIntegrationType(c.req.valid("param").type);
      const { integration, secretsChanged } = await saveIntegration(c.env, createDb(c.env.DB), p.workspaceId, type, c.req.valid("json"));
      await recordAudit(
        c.env,
        p,
        {
          action: "integration.updated",
          targetType: "integration",
          targetId: type,
          // Which secrets changed, never their values.
          metadata: { type, enabled: integration.enabled, secrets_changed: secretsChanged },
        },
        auditContext(c),
      );
      return c.json(integration, 200);
    },
  );
