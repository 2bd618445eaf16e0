import { and, desc, eq, isNull } from "drizzle-orm";
import type { z } from "@hono/zod-openapi";
import type { Assistant, AssistantCreateBody, AssistantUpdateBody, ModelPolicy } from "../../../schema/api";
import { ApiError, notFound } from "../lib/errors";
import { workspacePlan } from "../billing/workspace-plan";
import { allowedModels, disallowedModels, type AllowedModelsVars } from "../llm/allowed-models";
import { newId } from "../lib/ids";
import { olderThan, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";

const { assistants } = schema;
type AssistantRow = typeof assistants.$inferSelect;

/** Public view of an assistant row. */
export function toAssistant(row: AssistantRow): Assistant {
  return {
    id: row.id,
    name: row.name,
    system_prompt: row.system_prompt,
    tone: row.tone,
    escalation_threshold: row.escalation_threshold,
    model_policy: row.model_policy as ModelPolicy,
    allowed_origins: row.allowed_origins,
    branding: row.branding as Record<string, unknown>,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * Refuses (400 `invalid_request`) a model policy naming a model the deployment does not allow
 * on the workspace's plan; the refusal lists the models that are allowed.
 */
export async function assertModelPolicyAllowed(vars: AllowedModelsVars, db: Db, workspaceId: string, policy: ModelPolicy | undefined): Promise<void> {
  if (!policy) return;
  const allowed = allowedModels(vars, await workspacePlan(db, workspaceId));
  const refused = disallowedModels(policy, allowed);
  if (refused.length === 0) return;
  const message = `is not an allowed model; allowed: ${allowed.join(", ")}`;
  // Issues in the validation shape, so forms show each refusal next to its field.
  const issues = (["primary", "fallback", "cheap", "strong"] as const).flatMap((field) => {
    const named = field === "fallback" ? (policy.fallback ?? []) : [policy[field]];
    const bad = named.filter((m): m is string => typeof m === "string" && refused.includes(m.trim()));
    return bad.length > 0 ? [{ path: ["model_policy", field], code: "custom", message: `${bad.join(", ")} ${message}` }] : [];
  });
  throw new ApiError(
    "invalid_request",
    `model_policy names models this deployment does not allow: ${refused.join(", ")}; allowed models: ${allowed.join(", ")}`,
    { disallowed_models: refused, allowed_models: allowed, issues },
  );
}

/** Creates an assistant in the workspace. */
export async function createAssistant(db: Db, workspaceId: string, input: z.output<typeof AssistantCreateBody>) {
  return db
    .insert(assistants)
    .values({ id: newId("assistant"), workspace_id: workspaceId, ...input })
    .returning()
    .get();
}

/** A live assistant of this workspace, or 404 (also for another workspace's). */
export async function getAssistant(db: Db, workspaceId: string, id: string): Promise<AssistantRow> {
  const row = await db
    .select()
    .from(assistants)
    .where(and(eq(assistants.id, id), eq(assistants.workspace_id, workspaceId), isNull(assistants.deleted_at)))
    .get();
  if (!row) throw notFound("assistant");
  return row;
}

/** One page of the workspace's assistants, newest first. */
export async function listAssistants(db: Db, workspaceId: string, limit: number, cursor?: string) {
  const rows = await db
    .select()
    .from(assistants)
    .where(
      and(
        eq(assistants.workspace_id, workspaceId),
        isNull(assistants.deleted_at),
        olderThan(assistants.created_at, assistants.id, cursor),
      ),
    )
    .orderBy(desc(assistants.created_at), desc(assistants.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

/** Applies a partial update; 404 when the assistant is not this workspace's. */
export async function updateAssistant(
  db: Db,
  workspaceId: string,
  id: string,
  patch: z.output<typeof AssistantUpdateBody>,
) {
  await getAssistant(db, workspaceId, id);
  return (await db
    .update(assistants)
    .set({ ...patch, updated_at: nowIso() })
    .where(and(eq(assistants.id, id), eq(assistants.workspace_id, workspaceId)))
    .returning()
    .get())!;
}

/** Soft-deletes an assistant, revokes its publishable keys and drops its identity secret. */
export async function deleteAssistant(db: Db, workspaceId: string, id: string): Promise<void> {
  await getAssistant(db, workspaceId, id);
  const now = nowIso();
  await db.batch([
    db
      .update(assistants)
      .set({ deleted_at: now, updated_at: now })
      .where(and(eq(assistants.id, id), eq(assistants.workspace_id, workspaceId))),
    db
      .update(schema.api_keys)
      .set({ revoked_at: now })
      .where(
        and(
          eq(schema.api_keys.assistant_id, id),
          eq(schema.api_keys.workspace_id, workspaceId),
          isNull(schema.api_keys.revoked_at),
        ),
      ),
    // Its identity secret goes with it: nothing is left to verify against.
    db
      .delete(schema.identity_secrets)
      .where(and(eq(schema.identity_secrets.assistant_id, id), eq(schema.identity_secrets.workspace_id, workspaceId))),
  ]);
}
