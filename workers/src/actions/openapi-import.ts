/**
 * Actions from an OpenAPI 3 document (JSON, or YAML through the `yaml` package): one action
 * per operation. operationId (or method and path) becomes the name, summary or description
 * the description, path and query parameters and the JSON request body become one JSON Schema
 * (query ones marked `"x-in": "query"`), the first server URL plus the path the URL template.
 * GET operations only read; every other method is marked mutating. Local `$ref`s are inlined.
 */
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { ACTION_LIMITS, ActionCreateBody } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import type { Db } from "../storage/db";
import { getAssistant } from "../tenancy/assistants";
import { createAction, type ActionEnv, type ActionRow } from "./action-store";

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/** How deep `$ref`s are inlined; a cycle beyond it becomes an open object. */
const MAX_REF_DEPTH = 6;

/** One operation turned into an action definition, or the reason it was left out. */
export type ImportedOperation = { ok: true; operation: string; action: z.input<typeof ActionCreateBody> } | { ok: false; operation: string; reason: string };

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The document as an object: given as one, or as JSON or YAML text. */
export function parseOpenApiDocument(input: unknown): Json {
  let doc: unknown = input;
  if (typeof input === "string") {
    try {
      doc = input.trimStart().startsWith("{") ? JSON.parse(input) : parseYaml(input, { maxAliasCount: 100 });
    } catch (err) {
      throw new ApiError("invalid_request", `openapi: not valid JSON or YAML (${err instanceof Error ? err.message.slice(0, 200) : "parse error"})`);
    }
  }
  if (!isObject(doc) || typeof doc.openapi !== "string" || !doc.openapi.startsWith("3") || !isObject(doc.paths)) {
    throw new ApiError("invalid_request", "openapi: must be an OpenAPI 3 document with `openapi: 3.x` and `paths`");
  }
  return doc;
}

/** Follows a local `#/…` reference; undefined when it leads nowhere. */
function follow(doc: Json, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let current: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isObject(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** A copy of `value` with local `$ref`s inlined (bounded depth). */
function inline(doc: Json, value: unknown, depth = 0): unknown {
  if (Array.isArray(value)) return value.map((v) => inline(doc, v, depth));
  if (!isObject(value)) return value;
  if (typeof value.$ref === "string") {
    if (depth >= MAX_REF_DEPTH) return { type: "object" };
    return inline(doc, follow(doc, value.$ref) ?? { type: "object" }, depth + 1);
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inline(doc, v, depth)]));
}

/** A name from an operationId or method and path, fitted to the action-name rule. */
function nameOf(operationId: unknown, method: Method, path: string): string {
  const raw = typeof operationId === "string" && operationId.trim() ? operationId : `${method.toLowerCase()}_${path}`;
  let name = raw.replace(/[^A-Za-z0-9_-]+/g, "_").replace(/^[^A-Za-z]+/, "").replace(/_+$/, "");
  if (!name) name = `${method.toLowerCase()}_operation`;
  return name.slice(0, ACTION_LIMITS.NAME_CHARS);
}

function serverUrl(doc: Json, op: Json, pathItem: Json, baseUrl: string | undefined): string | null {
  const servers = [op.servers, pathItem.servers, doc.servers].find((s) => Array.isArray(s) && s.length > 0) as Json[] | undefined;
  let url = typeof servers?.[0]?.url === "string" ? (servers[0].url as string) : "";
  // Server variables take their defaults.
  const vars = isObject(servers?.[0]?.variables) ? (servers[0].variables as Json) : {};
  url = url.replace(/\{([^}]+)\}/g, (_, v: string) => (isObject(vars[v]) && typeof vars[v].default === "string" ? (vars[v].default as string) : ""));
  if (/^https?:\/\//i.test(url)) return url.replace(/\/+$/, "");
  if (!baseUrl) return null;
  return new URL(url || "/", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).toString().replace(/\/+$/, "");
}

/** The operations of the document as action definitions (at most `OPENAPI_OPERATIONS`). */
export function operationsToActions(doc: Json, baseUrl?: string): ImportedOperation[] {
  const out: ImportedOperation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths as Json)) {
    const pathItem = inline(doc, rawItem);
    if (!isObject(pathItem)) continue;
    for (const method of METHODS) {
      const op = pathItem[method.toLowerCase()];
      if (!isObject(op)) continue;
      const label = `${method} ${path}`;
      if (out.length >= ACTION_LIMITS.OPENAPI_OPERATIONS) {
        out.push({ ok: false, operation: label, reason: `more than ${ACTION_LIMITS.OPENAPI_OPERATIONS} operations` });
        continue;
      }
      const server = serverUrl(doc, op, pathItem, baseUrl);
      if (!server) {
        out.push({ ok: false, operation: label, reason: "the document names no absolute server URL; pass base_url" });
        continue;
      }
      const properties: Json = {};
      const required: string[] = [];
      const params = [...(Array.isArray(pathItem.parameters) ? pathItem.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])];
      let unsupported: string | null = null;
      for (const p of params) {
        if (!isObject(p) || typeof p.name !== "string") continue;
        if (p.in !== "path" && p.in !== "query") {
          if (p.required === true) unsupported = `a required ${String(p.in)} parameter (${p.name})`;
          continue;
        }
        const schema: Json = isObject(p.schema) ? { ...p.schema } : { type: "string" };
        if (typeof p.description === "string" && !("description" in schema)) schema.description = p.description;
        if (p.in === "query") schema["x-in"] = "query";
        properties[p.name] = schema;
        if (p.required === true || p.in === "path") required.push(p.name);
      }
      const body = isObject(op.requestBody) ? op.requestBody : null;
      const bodySchema = body && isObject(body.content) && isObject(body.content["application/json"]) ? body.content["application/json"].schema : undefined;
      if (isObject(bodySchema)) {
        if (bodySchema.type === "object" || isObject(bodySchema.properties)) {
          for (const [k, v] of Object.entries(isObject(bodySchema.properties) ? bodySchema.properties : {})) if (!(k in properties)) properties[k] = v;
          if (Array.isArray(bodySchema.required)) for (const r of bodySchema.required) if (typeof r === "string" && !required.includes(r)) required.push(r);
        } else {
          unsupported = "a request body that is not a JSON object";
        }
      } else if (body && body.required === true) {
        unsupported = "a required request body that is not JSON";
      }
      if (unsupported) {
        out.push({ ok: false, operation: label, reason: `uses ${unsupported}` });
        continue;
      }
      const description = [op.summary, op.description].filter((s): s is string => typeof s === "string" && s.trim() !== "").join(" — ");
      out.push({
        ok: true,
        operation: label,
        action: {
          name: nameOf(op.operationId, method, path),
          description: description.slice(0, ACTION_LIMITS.DESCRIPTION_CHARS),
          parameters: { type: "object", properties, ...(required.length > 0 ? { required } : {}) },
          method,
          url: `${server}${path}`,
          mutating: method !== "GET",
        },
      });
    }
  }
  return out;
}

/**
 * Imports a document into an assistant: each usable operation becomes an action (a name the
 * assistant already has, an invalid definition or a refused server URL is skipped with its
 * reason). Returns the actions created and what was skipped.
 */
export async function importOpenApi(
  env: ActionEnv,
  db: Db,
  workspaceId: string,
  assistantId: string,
  input: { openapi: unknown; base_url?: string | undefined; handoff_on_failure?: boolean | undefined },
): Promise<{ created: ActionRow[]; skipped: { operation: string; reason: string }[] }> {
  await getAssistant(db, workspaceId, assistantId);
  const doc = parseOpenApiDocument(input.openapi);
  const created: ActionRow[] = [];
  const skipped: { operation: string; reason: string }[] = [];
  for (const op of operationsToActions(doc, input.base_url)) {
    if (!op.ok) {
      skipped.push({ operation: op.operation, reason: op.reason });
      continue;
    }
    const parsed = ActionCreateBody.safeParse({ ...op.action, ...(input.handoff_on_failure !== undefined ? { handoff_on_failure: input.handoff_on_failure } : {}) });
    if (!parsed.success) {
      skipped.push({ operation: op.operation, reason: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ").slice(0, 300) });
      continue;
    }
    try {
      created.push(await createAction(env, db, workspaceId, assistantId, parsed.data));
    } catch (err) {
      if (err instanceof ApiError && (err.code === "invalid_request" || err.code === "conflict")) skipped.push({ operation: op.operation, reason: err.message });
      else throw err;
    }
  }
  return { created, skipped };
}
