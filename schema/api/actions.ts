/**
 * Actions: HTTP calls and MCP tools an assistant may run for a visitor, their triggers
 * (procedures that run without a model), OpenAPI import, MCP servers, test calls and call logs.
 */
import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "./common";

/** Bounds on what an action carries, so no definition can carry a denial of service. */
export const ACTION_LIMITS = {
  NAME_CHARS: 64,
  DESCRIPTION_CHARS: 2_000,
  URL_CHARS: 2_048,
  HEADERS: 20,
  HEADER_VALUE_CHARS: 4_096,
  RESPONSE_FIELDS: 50,
  PHRASES: 30,
  PHRASE_CHARS: 200,
  PATTERNS: 10,
  PATTERN_CHARS: 200, // short regexes only: visitor text is matched against them on every turn
  PARAMETERS_JSON_BYTES: 32_768,
  TEMPLATE_CHARS: 1_000,
  TIMEOUT_MS_MIN: 500,
  TIMEOUT_MS_MAX: 30_000,
  OPENAPI_OPERATIONS: 100,
} as const;

/** HTTP methods an action may use. */
export const ActionMethodSchema = z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]);

/** A name the model calls the action by: a safe identifier (letters, digits, `_`, `-`). */
export const ActionNameField = z
  .string()
  .min(1)
  .max(ACTION_LIMITS.NAME_CHARS)
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "must start with a letter and hold only letters, digits, _ and -");

/** A JSON Schema of type `object` describing the action's arguments. */
export const ParametersField = z
  .record(z.string(), z.unknown())
  .refine((v) => v.type === "object", "must be a JSON Schema with type \"object\"")
  .refine((v) => JSON.stringify(v).length <= ACTION_LIMITS.PARAMETERS_JSON_BYTES, `must be at most ${ACTION_LIMITS.PARAMETERS_JSON_BYTES} bytes as JSON`)
  .openapi({
    description:
      'JSON Schema (type "object") of the arguments. A property marked `"x-identity": "user_id" | "email" | "name"` is filled from the verified visitor and hidden from the model; `"x-in": "query"` sends a property in the query string whatever the method.',
    example: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
  });

/** Header values: write-only secrets; `null` removes one. */
const HeadersField = z
  .record(z.string().min(1).max(100).regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name"), z.string().min(1).max(ACTION_LIMITS.HEADER_VALUE_CHARS).nullable())
  .refine((v) => Object.keys(v).length <= ACTION_LIMITS.HEADERS, `at most ${ACTION_LIMITS.HEADERS} headers`);

/** What makes a procedure run without a model: an intent phrase, and a pattern per required parameter. */
export const TriggersSchema = z
  .strictObject({
    phrases: z.array(z.string().trim().min(1).max(ACTION_LIMITS.PHRASE_CHARS)).max(ACTION_LIMITS.PHRASES),
    patterns: z
      .record(z.string().min(1).max(ACTION_LIMITS.NAME_CHARS), z.string().min(1).max(ACTION_LIMITS.PATTERN_CHARS))
      .refine((v) => Object.keys(v).length <= ACTION_LIMITS.PATTERNS, `at most ${ACTION_LIMITS.PATTERNS} patterns`)
      .default({}),
  })
  .openapi("ActionTriggers");

/** An action as the API shows it; header values never appear, only their names. */
export const ActionSchema = z
  .object({
    id: z.string().openapi({ example: "act_3fK9wQ2mZ8pL1xR7tY4v" }),
    assistant_id: z.string(),
    name: z.string(),
    description: z.string(),
    kind: z.enum(["http", "mcp"]),
    parameters: z.record(z.string(), z.unknown()),
    method: ActionMethodSchema,
    /** URL template: `{param}` is filled from the arguments (URL-encoded). */
    url: z.string(),
    headers_set: z.array(z.string()),
    response_fields: z.array(z.string()),
    mutating: z.boolean(),
    requires_verified: z.boolean(),
    triggers: TriggersSchema.optional(),
    /** The answer a procedure gives, `{field}` filled from the result's fields and the arguments. */
    answer_template: z.string().nullable(),
    timeout_ms: z.number().int(),
    /** Whether a failed or timed-out call hands the conversation to a person (the call's error in the escalation's note). */
    handoff_on_failure: z.boolean(),
    /** The MCP server a `kind: 'mcp'` action belongs to. */
    mcp_server_id: z.string().nullable(),
    enabled: z.boolean(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Action");

const actionFields = {
  description: z.string().max(ACTION_LIMITS.DESCRIPTION_CHARS),
  parameters: ParametersField,
  method: ActionMethodSchema,
  url: z.string().min(1).max(ACTION_LIMITS.URL_CHARS),
  headers: HeadersField,
  response_fields: z.array(z.string().min(1).max(200).regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, "must be a dotted path like order.status")).max(ACTION_LIMITS.RESPONSE_FIELDS),
  mutating: z.boolean(),
  requires_verified: z.boolean(),
  triggers: TriggersSchema.nullable(),
  answer_template: z.string().max(ACTION_LIMITS.TEMPLATE_CHARS).nullable(),
  timeout_ms: z.number().int().min(ACTION_LIMITS.TIMEOUT_MS_MIN).max(ACTION_LIMITS.TIMEOUT_MS_MAX),
  handoff_on_failure: z.boolean().openapi({
    description: "When a call fails or times out, the visitor is told plainly; true also hands the conversation to a person with the call's error in the escalation's note, false keeps it with the assistant.",
  }),
  enabled: z.boolean(),
};

/** `POST /assistants/:id/actions`: an HTTP action (MCP actions come from `mcp-servers`). */
export const ActionCreateBody = z
  .strictObject({
    name: ActionNameField,
    kind: z.literal("http").default("http"),
    description: actionFields.description.default(""),
    parameters: actionFields.parameters.default({ type: "object", properties: {} }),
    method: actionFields.method.default("GET"),
    url: actionFields.url,
    headers: actionFields.headers.optional(),
    response_fields: actionFields.response_fields.default([]),
    /** Defaults to true for every method but GET. */
    mutating: actionFields.mutating.optional(),
    requires_verified: actionFields.requires_verified.default(false),
    triggers: actionFields.triggers.optional(),
    answer_template: actionFields.answer_template.optional(),
    timeout_ms: actionFields.timeout_ms.optional(),
    handoff_on_failure: actionFields.handoff_on_failure.default(true),
    enabled: actionFields.enabled.default(true),
  })
  .openapi("ActionCreate");

/** `PATCH /actions/:id`: any field; `headers` sets the given ones and removes those sent as null. */
export const ActionUpdateBody = z
  .strictObject({
    name: ActionNameField.optional(),
    description: actionFields.description.optional(),
    parameters: actionFields.parameters.optional(),
    method: actionFields.method.optional(),
    url: actionFields.url.optional(),
    headers: actionFields.headers.optional(),
    response_fields: actionFields.response_fields.optional(),
    mutating: actionFields.mutating.optional(),
    requires_verified: actionFields.requires_verified.optional(),
    triggers: actionFields.triggers.optional(),
    answer_template: actionFields.answer_template.optional(),
    timeout_ms: actionFields.timeout_ms.optional(),
    handoff_on_failure: actionFields.handoff_on_failure.optional(),
    enabled: actionFields.enabled.optional(),
  })
  .openapi("ActionUpdate");

/** `POST /assistants/:id/actions/import`: an OpenAPI 3 document, as an object or JSON/YAML text. */
export const ActionImportBody = z
  .strictObject({
    openapi: z.union([z.record(z.string(), z.unknown()), z.string().min(1).max(1_000_000)]),
    /** Server URL to use when the document names none or a relative one. */
    base_url: z.string().max(ACTION_LIMITS.URL_CHARS).optional(),
    /** `handoff_on_failure` of every action created (true when absent). */
    handoff_on_failure: actionFields.handoff_on_failure.optional(),
  })
  .openapi("ActionImport");

/** What an import created and what it skipped (and why). */
export const ActionImportResultSchema = z
  .object({
    data: z.array(ActionSchema),
    skipped: z.array(z.object({ operation: z.string(), reason: z.string() })),
  })
  .openapi("ActionImportResult");

/** `POST /actions/:id/test`: the arguments of one call, and optionally who the visitor is. */
export const ActionTestBody = z
  .strictObject({
    arguments: z.record(z.string(), z.unknown()).default({}),
    /** A verified visitor to test identity-bound parameters with. */
    identity: z
      .strictObject({ user_id: z.string().min(1).max(200), email: z.string().max(254).optional(), name: z.string().max(200).optional() })
      .nullable()
      .optional(),
  })
  .openapi("ActionTest");

/** One action call, as stored: arguments and result redacted and truncated. */
export const ActionCallSchema = z
  .object({
    id: z.string().openapi({ example: "acl_3fK9wQ2mZ8pL1xR7tY4v" }),
    action_id: z.string(),
    name: z.string(),
    conversation_id: z.string().nullable(),
    source: z.enum(["test", "procedure", "model"]),
    status: z.enum(["done", "failed", "declined"]),
    arguments: z.record(z.string(), z.unknown()),
    result: z.unknown().optional(),
    error: z.string().nullable(),
    http_status: z.number().int().nullable(),
    latency_ms: z.number().int(),
    created_at: isoTimestamp,
  })
  .openapi("ActionCall");

/** What `POST /actions/:id/test` answers: the outcome and the call as stored. */
export const ActionTestResultSchema = z
  .object({
    status: z.enum(["done", "failed"]),
    /** The chosen response fields of the answer (redacted); absent on failure. */
    result: z.unknown().optional(),
    error: z.string().optional(),
    call: ActionCallSchema,
  })
  .openapi("ActionTestResult");

/** `GET /actions/:id/calls` filter. */
export const ActionCallsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
  status: z.enum(["done", "failed", "declined"]).optional(),
});

/** `POST /assistants/:id/mcp-servers`: a remote MCP server (Streamable HTTP) and its headers. */
export const McpServerCreateBody = z
  .strictObject({
    url: z.string().min(1).max(ACTION_LIMITS.URL_CHARS),
    headers: HeadersField.optional(),
  })
  .openapi("McpServerCreate");

/** A connected MCP server and the actions its tools became. */
export const McpServerSchema = z
  .object({
    id: z.string().openapi({ example: "mcp_3fK9wQ2mZ8pL1xR7tY4v" }),
    assistant_id: z.string(),
    url: z.string(),
    headers_set: z.array(z.string()),
    server_name: z.string().nullable(),
    tool_count: z.number().int(),
    refreshed_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
    actions: z.array(ActionSchema),
  })
  .openapi("McpServer");

/** `GET /assistants/:id/mcp-servers`: every server connected to the assistant, oldest first. */
export const McpServerListSchema = z.object({ data: z.array(McpServerSchema) }).openapi("McpServerList");

export type Action = z.infer<typeof ActionSchema>;
export type ActionTriggers = z.infer<typeof TriggersSchema>;
export type ActionCall = z.infer<typeof ActionCallSchema>;
export type McpServer = z.infer<typeof McpServerSchema>;
