/**
 * Runs one action call, the same way for a test, a procedure and the model's tool loop:
 * refuses an action that needs a verified visitor when there is none (before any request),
 * binds identity-bound parameters to the verified visitor (whatever the model sent), checks
 * the arguments against the action's JSON Schema, calls the HTTP endpoint or MCP tool, keeps
 * only the response fields the business chose, and stores the call with secrets and sensitive
 * fields redacted. The result is what the service said, or an honest failure.
 */
import { createLogger } from "../lib/logger";
import { outboundPolicy, type OutboundPolicy } from "../lib/network-policy";
import { createDb, schema, type Db } from "../storage/db";
import { and, eq } from "drizzle-orm";
import { fillUrlTemplate } from "./action-rules";
import { DEFAULT_ACTION_TIMEOUT_MS, openHeaders, type ActionEnv, type ActionRow } from "./action-store";
import { recordCall, type CallSource } from "./action-calls";
import { DEMO_ORDERS_HOST, demoOrdersFetch } from "./demo-orders";
import { callHttp } from "./http-call";
import { callMcpTool } from "./mcp-client";
import { argumentProblems, bindIdentity, queryProperties, type ParameterSchema, type VerifiedIdentity } from "./parameters";
import { redactForStorage, redactMessage } from "./redact";

/** Longest result handed to the model when the action names no response fields, as JSON characters. */
const MAX_UNFILTERED_RESULT_CHARS = 4_000;

const logger = createLogger({ component: "actions" });

/** What the executor needs of the environment. */
export type RunEnv = ActionEnv & { DB: D1Database; DEMO_ORDERS_KEY?: string | undefined };

/** One call's input. */
export interface ActionRunInput {
  arguments: Record<string, unknown>;
  /** The verified visitor, or null when the conversation is not verified. */
  identity: VerifiedIdentity | null;
}

/** What a call ended with: the service's (filtered) answer, or why there is none. */
export type ActionOutcome =
  | { status: "done"; result: unknown; httpStatus: number | null }
  | { status: "failed"; error: string; httpStatus: number | null };

/** Test hooks: another fetch (the default is the global one, or the demo service for its host). */
export interface RunOptions {
  fetcher?: typeof fetch;
}

/** The value at a dotted path (`order.status`, `items.0.name`), or undefined. */
export function valueAt(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * What the model (and a procedure's answer) gets of a result: the chosen dotted paths as a flat
 * object (`{"order.status": "shipped"}`), or, when none are chosen, the result cut to a bound.
 */
export function pickResponseFields(result: unknown, fields: readonly string[]): unknown {
  if (fields.length === 0) {
    const json = JSON.stringify(result) ?? "null";
    return json.length > MAX_UNFILTERED_RESULT_CHARS ? `${json.slice(0, MAX_UNFILTERED_RESULT_CHARS)}…` : result;
  }
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const v = valueAt(result, field);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

async function mcpEndpointOf(env: RunEnv, db: Db, action: ActionRow, policy: OutboundPolicy, fetcher: typeof fetch | undefined) {
  const server = action.mcp_server_id
    ? await db
        .select()
        .from(schema.mcp_servers)
        .where(and(eq(schema.mcp_servers.id, action.mcp_server_id), eq(schema.mcp_servers.workspace_id, action.workspace_id)))
        .get()
    : undefined;
  if (!server) return null;
  const headers = await openHeaders(env, action.workspace_id, server.id, server);
  return { url: server.url, headers, timeoutMs: action.timeout_ms ?? DEFAULT_ACTION_TIMEOUT_MS, policy, fetcher };
}

/**
 * Runs the call without storing it; returns the outcome, the arguments it ran with (identity
 * bound), and the secrets to keep out of what is stored.
 */
export async function executeAction(
  env: RunEnv,
  action: ActionRow,
  input: ActionRunInput,
  opts: RunOptions = {},
): Promise<{ outcome: ActionOutcome; args: Record<string, unknown>; secrets: string[] }> {
  const parameters = action.parameters as ParameterSchema;
  const fail = (error: string, args: Record<string, unknown> = input.arguments, secrets: string[] = []) => ({
    outcome: { status: "failed" as const, error, httpStatus: null },
    args,
    secrets,
  });
  if (!action.enabled) return fail("the action is switched off");
  if (action.requires_verified && !input.identity) return fail("the action needs a verified visitor, and this one is not verified");

  const args = bindIdentity(parameters, input.arguments, input.identity);
  const problems = argumentProblems(parameters, args);
  if (problems.length > 0) return fail(`the arguments do not fit the action: ${problems.join("; ")}`, args);

  const policy = outboundPolicy(env);
  const db = createDb(env.DB);
  if (action.kind === "mcp") {
    const endpoint = await mcpEndpointOf(env, db, action, policy, opts.fetcher);
    if (!endpoint) return fail("the action's MCP server is gone", args);
    const secrets = Object.values(endpoint.headers);
    const called = await callMcpTool(endpoint, action.name, args);
    const outcome: ActionOutcome = called.ok
      ? { status: "done", result: pickResponseFields(called.result, action.response_fields), httpStatus: null }
      : { status: "failed", error: called.error, httpStatus: null };
    return { outcome, args, secrets };
  }

  const headers = await openHeaders(env, action.workspace_id, action.id, action);
  const secrets = Object.values(headers);
  const { url: filled, used } = fillUrlTemplate(action.url, args);
  const url = new URL(filled);
  const inQuery = queryProperties(parameters);
  const rest: Record<string, unknown> = {};
  const sendsBody = action.method !== "GET" && action.method !== "DELETE";
  for (const [name, value] of Object.entries(args)) {
    if (used.has(name) || value === undefined) continue;
    if (!sendsBody || inQuery.has(name)) url.searchParams.set(name, typeof value === "string" ? value : JSON.stringify(value));
    else rest[name] = value;
  }
  const fetcher = opts.fetcher ?? (url.hostname === DEMO_ORDERS_HOST ? demoOrdersFetch(env) : fetch);
  const called = await callHttp(
    {
      method: action.method,
      url: url.toString(),
      body: sendsBody ? rest : null,
      headers,
      timeoutMs: action.timeout_ms ?? DEFAULT_ACTION_TIMEOUT_MS,
      retry: action.method === "GET" && !action.mutating,
    },
    policy,
    fetcher,
  );
  const outcome: ActionOutcome = called.ok
    ? { status: "done", result: pickResponseFields(called.body, action.response_fields), httpStatus: called.status }
    : { status: "failed", error: called.error, httpStatus: called.status };
  return { outcome, args, secrets };
}

/** A stored call as conversations show it (`tool_calls` of a message). */
export interface ToolCallRecord {
  call_id: string;
  action_id: string;
  name: string;
  status: "done" | "failed";
  /** Redacted. */
  arguments: Record<string, unknown>;
  /** Redacted and truncated; absent on failure. */
  result?: unknown;
  error?: string;
}

/** Where a call is made from, for the log. */
export interface CallContext {
  source: CallSource;
  conversationId: string | null;
  /** The call's id, when it was announced before the call ran; a fresh one otherwise. */
  callId?: string;
}

/** Runs one call and stores it in the action's call log; returns the outcome (unredacted, for the model) and the stored record. */
export async function runAction(
  env: RunEnv,
  action: ActionRow,
  input: ActionRunInput,
  ctx: CallContext,
  opts: RunOptions = {},
): Promise<{ outcome: ActionOutcome; record: ToolCallRecord; latencyMs: number }> {
  const started = Date.now();
  const { outcome, args, secrets } = await executeAction(env, action, input, opts);
  const latencyMs = Date.now() - started;
  const storedArgs = redactForStorage(args, secrets) as Record<string, unknown>;
  const storedResult = outcome.status === "done" ? redactForStorage(outcome.result, secrets) : undefined;
  const error = outcome.status === "failed" ? redactMessage(outcome.error, secrets) : null;
  const { id } = await recordCall(createDb(env.DB), {
    ...(ctx.callId ? { id: ctx.callId } : {}),
    action,
    conversationId: ctx.conversationId,
    source: ctx.source,
    status: outcome.status,
    arguments: storedArgs,
    result: storedResult,
    error,
    httpStatus: outcome.httpStatus,
    latencyMs,
  });
  if (outcome.status === "failed") {
    logger.warn("action call failed", { action_id: action.id, workspace_id: action.workspace_id, source: ctx.source, error, http_status: outcome.httpStatus });
  }
  const record: ToolCallRecord = {
    call_id: id,
    action_id: action.id,
    name: action.name,
    status: outcome.status,
    arguments: storedArgs,
    ...(outcome.status === "done" ? { result: storedResult } : { error: error ?? "failed" }),
  };
  return { outcome, record, latencyMs };
}
