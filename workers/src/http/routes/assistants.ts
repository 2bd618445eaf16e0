import { createRoute, z } from "@hono/zod-openapi";
import {
  AssistantCreateBody,
  AssistantSchema,
  AssistantUpdateBody,
  IdentitySecretSchema,
  idOf,
  page,
  PaginationQuery,
} from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { rotateIdentitySecret } from "../../auth/identity-secrets";
import { assertCanAddAssistant } from "../../billing/limits";
import { deleteAssistantKnowledge } from "../../knowledge/documents";
import { announceAssistantChange } from "../../knowledge/knowledge-index/config-version";
import { createLogger } from "../../lib/logger";
import { createDb } from "../../storage/db";
import {
  assertModelPolicyAllowed,
  createAssistant,
  deleteAssistant,
  getAssistant,
  listAssistants,
  toAssistant,
  updateAssistant,
} from "../../tenancy/assistants";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const IdParam = z.strictObject({ id: idOf("ast").openapi({ param: { name: "id", in: "path" } }) });

/** Assistants CRUD: viewers read, admins change (an assistant's setup is workspace configuration). */
export const assistantsRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants",
      tags: ["assistants"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { query: PaginationQuery },
      responses: { 200: json(page(AssistantSchema)), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      const result = await listAssistants(createDb(c.env.DB), c.get("principal").workspaceId, limit, cursor);
      return c.json({ data: result.data.map(toAssistant), next_cursor: result.next_cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants",
      tags: ["assistants"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(AssistantCreateBody) },
      responses: { 201: json(AssistantSchema), ...errorResponses(400, 401, 402, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      await assertCanAddAssistant(c.env, p.workspaceId);
      const body = c.req.valid("json");
      await assertModelPolicyAllowed(c.env, createDb(c.env.DB), p.workspaceId, body.model_policy);
      const row = await createAssistant(createDb(c.env.DB), p.workspaceId, body);
      await recordAudit(c.env, p, { action: "assistant.created", targetType: "assistant", targetId: row.id }, auditContext(c));
      return c.json(toAssistant(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/assistants/{id}",
      tags: ["assistants"],
      middleware: [authenticate({ minRole: "viewer" })],
      request: { params: IdParam },
      responses: { 200: json(AssistantSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const row = await getAssistant(createDb(c.env.DB), c.get("principal").workspaceId, c.req.valid("param").id);
      return c.json(toAssistant(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/assistants/{id}",
      tags: ["assistants"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: IdParam, body: jsonBody(AssistantUpdateBody) },
      responses: { 200: json(AssistantSchema), ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const patch = c.req.valid("json");
      await assertModelPolicyAllowed(c.env, createDb(c.env.DB), p.workspaceId, patch.model_policy);
      const row = await updateAssistant(createDb(c.env.DB), p.workspaceId, id, patch);
      // Live conversations re-read the settings on their next answer. Should the index be out of
      // reach, they still do within CONFIG_MAX_AGE_MS (conversation/assistant-config.ts).
      await announceAssistantChange(c.env, { workspaceId: p.workspaceId, assistantId: id }).catch((err: unknown) =>
        createLogger({ component: "assistants" }).warn("assistant change not announced to its conversations", { assistant_id: id, error: err }),
      );
      await recordAudit(
        c.env,
        p,
        { action: "assistant.updated", targetType: "assistant", targetId: id, metadata: { fields: Object.keys(patch) } },
        auditContext(c),
      );
      return c.json(toAssistant(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/assistants/{id}",
      tags: ["assistants"],
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: IdParam },
      responses: { 204: { description: "deleted" }, ...errorResponses(400, 401, 403, 404) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      await deleteAssistant(createDb(c.env.DB), p.workspaceId, id);
      // Its live conversations stop answering from their next message.
      await announceAssistantChange(c.env, { workspaceId: p.workspaceId, assistantId: id });
      await deleteAssistantKnowledge(c.env, p.workspaceId, id);
      await recordAudit(c.env, p, { action: "assistant.deleted", targetType: "assistant", targetId: id }, auditContext(c));
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/assistants/{id}/identity-secret",
      tags: ["assistants"],
      summary:
        "Create or rotate the assistant's identity secret (verified visitors); shown only in this answer, and a rotated-away secret stops verifying at once",
      middleware: [authenticate({ minRole: "admin" })],
      request: { params: IdParam },
      responses: { 201: json(IdentitySecretSchema), ...errorResponses(400, 401, 403, 404, 503) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { id } = c.req.valid("param");
      const made = await rotateIdentitySecret(c.env, createDb(c.env.DB), p.workspaceId, id);
      await recordAudit(
        c.env,
        p,
        { action: made.rotated ? "assistant.identity_secret_rotated" : "assistant.identity_secret_created", targetType: "assistant", targetId: id },
        auditContext(c),
      );
      c.header("Cache-Control", "no-store");
      return c.json({ assistant_id: id, secret: made.secret, rotated: made.rotated, created_at: made.createdAt }, 201);
    },
  );
