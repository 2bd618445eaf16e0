/**
 * Actions in D1: create, read, change and remove an assistant's actions, always scoped by
 * workspace (another workspace's id is a 404). Header values are sealed with the deployment's
 * keys, bound to the action; reads show their names only.
 */
import { and, desc, eq } from "drizzle-orm";
import type { z } from "zod";
import type { Action, ActionCreateBody, ActionTriggers, ActionUpdateBody } from "../../../schema/api";
import { open, seal } from "../auth/secret-box";
import { ApiError, notFound } from "../lib/errors";
import { newId } from "../lib/ids";
import { outboundPolicy } from "../lib/network-policy";
import { olderThan, toPage } from "../lib/pagination";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { assertParameters, assertTriggers, assertUrlTemplate } from "./action-rules";
import type { ParameterSchema } from "./parameters";

const { actions } = schema;
/** An action's row. */
export type ActionRow = typeof actions.$inferSelect;
/** What sealing and policy checks need of the environment. */
export type ActionEnv = Pick<Env, "ENCRYPTION_KEYS" | "ENVIRONMENT"> & { ALLOW_PRIVATE_FETCH?: string | undefined };

/** Time limit of one call when the action sets none, in ms: a lookup, not a batch job. */
export const DEFAULT_ACTION_TIMEOUT_MS = 10_000;

/** The API's view of an action: header names, never values. */
export function toAction(row: ActionRow): Action {
  return {
    id: row.id,
    assistant_id: row.assistant_id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    parameters: row.parameters as Record<string, unknown>,
    method: row.method,
    url: row.url,
    headers_set: [...row.headers_set].sort(),
    response_fields: row.response_fields,
    mutating: row.mutating,
    requires_verified: row.requires_verified,
    ...(row.triggers ? { triggers: row.triggers as ActionTriggers } : {}),
    answer_template: row.answer_template,
    timeout_ms: row.timeout_ms ?? DEFAULT_ACTION_TIMEOUT_MS,
    handoff_on_failure: row.handoff_on_failure,
    mcp_server_id: row.mcp_server_id,
    enabled: row.enabled,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Associated data binding sealed headers to their owner (an action or an MCP server). */
export function headersContext(workspaceId: string, ownerId: string): string {
  return `action-headers:${workspaceId}:${ownerId}`;
}

/** Seals a header map; null when there is none. */
export async function sealHeaders(env: ActionEnv, workspaceId: string, ownerId: string, headers: Record<string, string>) {
  if (Object.keys(headers).length === 0) return null;
  return seal(env, JSON.stringify(headers), headersContext(workspaceId, ownerId));
}

/** Opens sealed headers (empty when none were set). */
export async function openHeaders(
  env: ActionEnv,
  workspaceId: string,
  ownerId: string,
  row: { headers_ciphertext: string | null; headers_key_id: string | null },
): Promise<Record<string, string>> {
  if (!row.headers_ciphertext || !row.headers_key_id) return {};
  const text = await open(env, { keyId: row.headers_key_id, ciphertext: row.headers_ciphertext }, headersContext(workspaceId, ownerId));
  return JSON.parse(text) as Record<string, string>;
}

/** Applies a header change: each given value set, each null removed, the rest kept. */
export function mergeHeaders(stored: Record<string, string>, change: Record<string, string | null> | undefined): Record<string, string> {
  const out = { ...stored };
  for (const [name, value] of Object.entries(change ?? {})) {
    // Header names are case-insensitive: one spelling is kept.
    for (const existing of Object.keys(out)) if (existing.toLowerCase() === name.toLowerCase()) delete out[existing];
    if (value !== null) out[name] = value;
  }
  return out;
}

/** An action of this workspace, or 404 (also for another workspace's). */
export async function getActionRow(db: Db, workspaceId: string, id: string): Promise<ActionRow> {
  const row = await db.select().from(actions).where(and(eq(actions.id, id), eq(actions.workspace_id, workspaceId))).get();
  if (!row) throw notFound("action");
  return row;
}

/** Every action of an assistant (enabled or not), for the conversation's seams. */
export async function allActionsOf(db: Db, workspaceId: string, assistantId: string): Promise<ActionRow[]> {
  return db.select().from(actions).where(and(eq(actions.workspace_id, workspaceId), eq(actions.assistant_id, assistantId))).all();
}

/** One page of an assistant's actions, newest first; 404 for another workspace's assistant. */
export async function listActions(db: Db, workspaceId: string, assistantId: string, limit: number, cursor?: string) {
  await getAssistant(db, workspaceId, assistantId);
  const rows = await db
    .select()
    .from(actions)
    .where(and(eq(actions.workspace_id, workspaceId), eq(actions.assistant_id, assistantId), olderThan(actions.created_at, actions.id, cursor)))
    .orderBy(desc(actions.created_at), desc(actions.id))
    .limit(limit + 1)
    .all();
  return toPage(rows, limit, (r) => r.created_at);
}

async function assertNameFree(db: Db, assistantId: string, name: string, exceptId?: string): Promise<void> {
  const clash = await db.select({ id: actions.id }).from(actions).where(and(eq(actions.assistant_id, assistantId), eq(actions.name, name))).get();
  if (clash && clash.id !== exceptId) throw new ApiError("conflict", `the assistant already has an action named ${name}`, { name });
}

/** Checks everything a definition must satisfy before it is stored (throws a 400). */
export function assertDefinition(env: ActionEnv, def: { url: string; parameters: ParameterSchema; triggers: ActionTriggers | null }): void {
  assertParameters(def.parameters);
  assertUrlTemplate(def.url, def.parameters, outboundPolicy(env));
  if (def.triggers) assertTriggers(def.triggers, def.parameters);
}

/** Creates an HTTP action on an assistant of the workspace. */
export async function createAction(env: ActionEnv, db: Db, workspaceId: string, assistantId: string, input: z.output<typeof ActionCreateBody>): Promise<ActionRow> {
  await getAssistant(db, workspaceId, assistantId);
  const triggers = input.triggers ?? null;
  assertDefinition(env, { url: input.url, parameters: input.parameters, triggers });
  await assertNameFree(db, assistantId, input.name);
  const id = newId("action");
  const headers = mergeHeaders({}, input.headers);
  const sealed = await sealHeaders(env, workspaceId, id, headers);
  const now = nowIso();
  return db
    .insert(actions)
    .values({
      id,
      workspace_id: workspaceId,
      assistant_id: assistantId,
      name: input.name,
      description: input.description,
      kind: "http",
      parameters: input.parameters,
      method: input.method,
      url: input.url,
      headers_set: Object.keys(headers),
      headers_ciphertext: sealed?.ciphertext ?? null,
      headers_key_id: sealed?.keyId ?? null,
      response_fields: input.response_fields,
      mutating: input.mutating ?? input.method !== "GET",
      requires_verified: input.requires_verified,
      triggers,
      answer_template: input.answer_template ?? null,
      timeout_ms: input.timeout_ms ?? null,
      handoff_on_failure: input.handoff_on_failure,
      enabled: input.enabled,
      created_at: now,
      updated_at: now,
    })
    .returning()
    .get();
}

/** Fields an MCP action takes from its server, which only a refresh changes. */
const MCP_OWNED_FIELDS = ["name", "parameters", "method", "url", "headers"] as const;

/** Changes an action; returns the row and the names of headers changed (never their values). */
export async function updateAction(
  env: ActionEnv,
  db: Db,
  workspaceId: string,
  id: string,
  patch: z.output<typeof ActionUpdateBody>,
): Promise<{ row: ActionRow; headersChanged: string[] }> {
  const row = await getActionRow(db, workspaceId, id);
  if (row.kind === "mcp") {
    const owned = MCP_OWNED_FIELDS.filter((f) => patch[f] !== undefined);
    if (owned.length > 0) {
      throw new ApiError("invalid_request", `${owned.join(", ")} of an MCP action come from its server; refresh the server instead`, {
        issues: owned.map((f) => ({ path: [f], code: "read_only", message: "set by the MCP server" })),
      });
    }
  }
  const parameters = patch.parameters ?? (row.parameters as ParameterSchema);
  const url = patch.url ?? row.url;
  const triggers = patch.triggers !== undefined ? patch.triggers : ((row.triggers as ActionTriggers | null) ?? null);
  if (row.kind === "http") assertDefinition(env, { url, parameters, triggers });
  else if (triggers) assertTriggers(triggers, parameters);
  if (patch.name !== undefined) await assertNameFree(db, row.assistant_id, patch.name, row.id);

  let headerColumns = {};
  const headersChanged = Object.keys(patch.headers ?? {}).sort();
  if (patch.headers !== undefined) {
    const headers = mergeHeaders(await openHeaders(env, workspaceId, row.id, row), patch.headers);
    const sealed = await sealHeaders(env, workspaceId, row.id, headers);
    headerColumns = { headers_set: Object.keys(headers), headers_ciphertext: sealed?.ciphertext ?? null, headers_key_id: sealed?.keyId ?? null };
  }
  const updated = await db
    .update(actions)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.parameters !== undefined ? { parameters } : {}),
      ...(patch.method !== undefined ? { method: patch.method } : {}),
      ...(patch.url !== undefined ? { url } : {}),
      ...(patch.response_fields !== undefined ? { response_fields: patch.response_fields } : {}),
      ...(patch.mutating !== undefined ? { mutating: patch.mutating } : {}),
      ...(patch.requires_verified !== undefined ? { requires_verified: patch.requires_verified } : {}),
      ...(patch.triggers !== undefined ? { triggers } : {}),
      ...(patch.answer_template !== undefined ? { answer_template: patch.answer_template } : {}),
      ...(patch.timeout_ms !== undefined ? { timeout_ms: patch.timeout_ms } : {}),
      ...(patch.handoff_on_failure !== undefined ? { handoff_on_failure: patch.handoff_on_failure } : {}),
      ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
      ...headerColumns,
      updated_at: nowIso(),
    })
    .where(and(eq(actions.id, row.id), eq(actions.workspace_id, workspaceId)))
    .returning()
    .get();
  return { row: updated, headersChanged };
}

/** Removes an action (its call log stays until the workspace or conversation is erased). */
export async function deleteAction(db: Db, workspaceId: string, id: string): Promise<ActionRow> {
  const row = await getActionRow(db, workspaceId, id);
  await db.delete(actions).where(and(eq(actions.id, row.id), eq(actions.workspace_id, workspaceId))).run();
  return row;
}
