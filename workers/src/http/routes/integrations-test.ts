import { createRoute, z } from "@hono/zod-openapi";
import { IntegrationTestSchema, IntegrationTypeSchema } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { testConnection } from "../../channels/connection-test";
import { parseIntegrationType } from "../../channels/integrations";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, router } from "../openapi";

const TypeParam = z.strictObject({
  type: z.string().max(40).openapi({ param: { name: "type", in: "path" }, enum: IntegrationTypeSchema.options }),
});

/** `POST /integrations/:type/test` (admin): checks the stored credentials against the provider. */
export const integrationsTestRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/integrations/{type}/test",
    tags: ["integrations"],
    summary: "Test the connection: the provider's cheapest authenticated call with the stored credentials",
    middleware: [authenticate({ minRole: "admin" })],
    request: { params: TypeParam },
    responses: { 200: json(IntegrationTestSchema), ...errorResponses(401, 403, 404) },
  }),
  async (c) => {
    const p = c.get("principal");
    const type = parseIntegrationType(c.req.valid("param").type);
    const result = await testConnection(c.env, p.workspaceId, type);
    await recordAudit(
      c.env,
      p,
      { action: "integration.tested", targetType: "integration", targetId: type, metadata: { type, ok: result.ok } },
      auditContext(c),
    );
    return c.json(result, 200);
  },
);
