/**
 * The public API's shapes, written once: they validate requests, type the Worker's code,
 * generate `/api/v1/openapi.json`, and give the widget and the dashboard their types.
 * Request bodies are strict (unknown fields are a 400); response shapes document what we send.
 */
import { z } from "@hono/zod-openapi";

/** Bounds on free text, so no field can carry a denial of service. */
export const LIMITS = {
  NAME_CHARS: 200,
  EMAIL_CHARS: 254, // RFC 5321 path limit
  PASSWORD_MIN_CHARS: 10,
  PASSWORD_MAX_CHARS: 256, // PBKDF2 input; long enough for any passphrase manager
  SYSTEM_PROMPT_CHARS: 20_000,
  ORIGINS: 50,
  ORIGIN_CHARS: 255,
  ID_CHARS: 80,
} as const;

/** A prefixed id such as `ast_…`; anything else is rejected before it reaches a query. */
export const idOf = (prefix: string) =>
  z
    .string()
    .max(LIMITS.ID_CHARS)
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]{8,64}$`), `must be a ${prefix}_ id`);

const isoTimestamp = z.string().openapi({ example: "2026-11-26T01:00:00.000Z" });

/** Error body of every failed request. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "invalid_request" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

/** `?limit=&cursor=` of every list. */
export const PaginationQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});

/** `{data, next_cursor}` of every list. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });

export const RoleSchema = z.enum(["admin", "manager", "viewer"]);
export const PlanSchema = z.enum(["starter", "pro", "enterprise"]);

const email = z
  .string()
  .trim()
  .max(LIMITS.EMAIL_CHARS)
  .pipe(z.email())
  .transform((v) => v.toLowerCase());
const password = z.string().min(LIMITS.PASSWORD_MIN_CHARS).max(LIMITS.PASSWORD_MAX_CHARS);
const name = z.string().trim().min(1).max(LIMITS.NAME_CHARS);

/** An origin such as `https://shop.example.com` (scheme, host and optional port; no path). */
export const OriginSchema = z
  .string()
  .max(LIMITS.ORIGIN_CHARS)
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "https:" || u.protocol === "http:") && u.origin === v;
    } catch {
      return false;
    }
  }, "must be an origin like https://example.com, with no path or trailing slash");

export const WorkspaceSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    company_name: z.string().nullable(),
    plan: PlanSchema,
    retention_days: z.number().int().nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Workspace");

export const UserSchema = z
  .object({
    id: z.string(),
    workspace_id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: RoleSchema,
    created_at: isoTimestamp,
  })
  .openapi("User");

export const SignUpBody = z
  .strictObject({
    workspace_name: name,
    company_name: name.optional(),
    email,
    password,
  })
  .openapi("SignUp");

export const SessionSchema = z
  .object({
    workspace: WorkspaceSchema,
    user: UserSchema,
    access_token: z.string(),
    access_token_expires_at: isoTimestamp,
    refresh_token: z.string(),
    refresh_token_expires_at: isoTimestamp,
  })
  .openapi("Session");

export const LoginBody = z.strictObject({ email, password: z.string().min(1).max(LIMITS.PASSWORD_MAX_CHARS) });
export const RefreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) });
export const PasswordChangeBody = z.strictObject({
  current_password: z.string().min(1).max(LIMITS.PASSWORD_MAX_CHARS),
  new_password: password,
});

export const ToneSchema = z.enum(["friendly", "professional", "casual"]);

/** How an assistant picks its model: a cheap one for simple questions, a strong one otherwise. */
export const ModelPolicySchema = z
  .strictObject({
    primary: z.string().max(100).optional(),
    fallback: z.array(z.string().max(100)).max(5).optional(),
    cheap: z.string().max(100).optional(),
    strong: z.string().max(100).optional(),
    temperature: z.number().min(0).max(2).optional(),
    max_tokens: z.number().int().min(1).max(8192).optional(),
  })
  .openapi("ModelPolicy");

export const AssistantSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    system_prompt: z.string(),
    tone: ToneSchema,
    escalation_threshold: z.number(),
    model_policy: ModelPolicySchema,
    allowed_origins: z.array(z.string()),
    branding: z.record(z.string(), z.unknown()),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Assistant");

/** Widget look that the dashboard edits and the widget reads. */
export const BrandingSchema = z.strictObject({
  primary_color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/)
    .optional(),
  title: z.string().max(80).optional(),
  greeting: z.string().max(500).optional(),
  avatar_url: z.url({ protocol: /^https?$/ }).max(2048).optional(),
  position: z.enum(["bottom-right", "bottom-left"]).optional(),
});

export const AssistantCreateBody = z
  .strictObject({
    name,
    system_prompt: z.string().max(LIMITS.SYSTEM_PROMPT_CHARS).default(""),
    tone: ToneSchema.default("friendly"),
    escalation_threshold: z.number().min(0).max(1).default(0.35),
    model_policy: ModelPolicySchema.default({}),
    allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).default([]),
    branding: BrandingSchema.default({}),
  })
  .openapi("AssistantCreate");

export const AssistantUpdateBody = z
  .strictObject({
    name: name.optional(),
    system_prompt: z.string().max(LIMITS.SYSTEM_PROMPT_CHARS).optional(),
    tone: ToneSchema.optional(),
    escalation_threshold: z.number().min(0).max(1).optional(),
    model_policy: ModelPolicySchema.optional(),
    allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).optional(),
    branding: BrandingSchema.optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "at least one field must be given")
  .openapi("AssistantUpdate");

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(["secret", "publishable"]),
    scope: z.enum(["admin", "manager", "viewer", "widget"]),
    prefix: z.string(),
    assistant_id: z.string().nullable(),
    allowed_origins: z.array(z.string()),
    expires_at: isoTimestamp.nullable(),
    last_used_at: isoTimestamp.nullable(),
    revoked_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
  })
  .openapi("ApiKey");

/** The one response that carries the full key: create and rotate. */
export const ApiKeyWithSecretSchema = ApiKeySchema.extend({ key: z.string() }).openapi("ApiKeyWithSecret");

/** Secret keys expire after 90 days unless told otherwise (API.md). */
export const DEFAULT_KEY_EXPIRY_DAYS = 90;
export const MAX_KEY_EXPIRY_DAYS = 730;

export const SecretKeyCreateBody = z.strictObject({
  name,
  type: z.literal("secret"),
  scope: RoleSchema,
  expires_in_days: z.number().int().min(1).max(MAX_KEY_EXPIRY_DAYS).optional(),
});

export const PublishableKeyCreateBody = z.strictObject({
  name,
  type: z.literal("publishable"),
  assistant_id: idOf("ast"),
  allowed_origins: z.array(OriginSchema).max(LIMITS.ORIGINS).optional(),
});

/** `type` defaults to `secret`; it picks the branch, so errors name the branch's own fields. */
export const ApiKeyCreateBody = z
  .preprocess(
    (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && !("type" in v) ? { ...v, type: "secret" } : v),
    z.discriminatedUnion("type", [SecretKeyCreateBody, PublishableKeyCreateBody]),
  )
  .openapi("ApiKeyCreate");

export const ApiKeyRotateBody = z.strictObject({
  /** Seconds the replaced key keeps working, so deployments can switch without downtime. */
  overlap_seconds: z
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 3600)
    .default(0),
});

export const AuditLogSchema = z
  .object({
    id: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("AuditLog");

export type Workspace = z.infer<typeof WorkspaceSchema>;
export type User = z.infer<typeof UserSchema>;
export type Assistant = z.infer<typeof AssistantSchema>;
export type ApiKey = z.infer<typeof ApiKeySchema>;
export type AuditLog = z.infer<typeof AuditLogSchema>;
export type ModelPolicy = z.infer<typeof ModelPolicySchema>;

// ---- conversations -------------------------------------------------------------------------

export const ChannelSchema = z.enum(["web", "api", "slack", "whatsapp", "email"]);
export const ConversationStatusSchema = z.enum(["active", "resolved", "escalated"]);
export const EscalationReasonSchema = z.enum(["low_confidence", "user_request", "no_match", "negative_sentiment"]);

/** Longest message accepted before sanitising (the 4,000-character limit applies after it). */
const RAW_MESSAGE_CHARS = 8_000;
/** Metadata a client attaches to a conversation: small, flat, for its own bookkeeping. */
const METADATA_MAX_KEYS = 30;
const METADATA_MAX_JSON_CHARS = 4_000;

/** A visitor id chosen by the embedding site or the widget: opaque, URL-safe. */
export const VisitorIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.@:+-]+$/, "may contain letters, digits and . _ - @ : + only");

const MetadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `at most ${METADATA_MAX_KEYS} keys`)
  .refine((m) => JSON.stringify(m).length <= METADATA_MAX_JSON_CHARS, `at most ${METADATA_MAX_JSON_CHARS} characters of JSON`);

export const ConversationCreateBody = z
  .strictObject({
    assistant_id: idOf("ast"),
    visitor_id: VisitorIdSchema,
    channel: ChannelSchema.default("web"),
    initial_message: z.string().min(1).max(RAW_MESSAGE_CHARS).optional(),
    metadata: MetadataSchema.optional(),
  })
  .openapi("ConversationCreate");

export const ConversationCreatedSchema = z
  .object({
    conversation_id: z.string(),
    token: z.string(),
    token_expires_at: isoTimestamp,
    ws_url: z.string(),
    status: ConversationStatusSchema,
  })
  .openapi("ConversationCreated");

export const ConversationSchema = z
  .object({
    id: z.string(),
    assistant_id: z.string(),
    channel: ChannelSchema,
    visitor_id: z.string(),
    status: ConversationStatusSchema,
    human_takeover: z.boolean(),
    satisfaction_score: z.number().int().nullable(),
    language: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Conversation");

export const SourceSchema = z
  .object({ document_id: z.string(), title: z.string(), chunk_id: z.string(), score: z.number(), snippet: z.string() })
  .openapi("Source");

export const MessageSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    seq: z.number().int(),
    sender_type: z.enum(["visitor", "assistant", "human_agent", "system"]),
    sender_id: z.string().nullable(),
    content: z.string(),
    status: z.enum(["complete", "streaming", "stopped", "failed"]),
    sources: z.array(SourceSchema),
    confidence: z.number().nullable(),
    tokens_used: z.number().int(),
    latency_ms: z.number().int().nullable(),
    cost_usd: z.number(),
    model: z.string().nullable(),
    client_id: z.string().nullable(),
    language: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Message");

export const EscalationSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    reason: EscalationReasonSchema,
    note: z.string().nullable(),
    status: z.enum(["open", "resolved"]),
    ticket_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Escalation");

export const MessageCreateBody = z
  .strictObject({
    content: z.string().min(1).max(RAW_MESSAGE_CHARS),
    stream: z.boolean().default(false),
    /** Makes the send idempotent: the same id is stored and answered once. */
    client_id: z.string().min(1).max(100).optional(),
  })
  .openapi("MessageCreate");

export const MessageAnswerSchema = z
  .object({ message: MessageSchema.nullable(), escalation: EscalationSchema.nullable(), human_takeover: z.boolean() })
  .openapi("MessageAnswer");

export const EscalateBody = z.strictObject({ reason: EscalationReasonSchema, note: z.string().max(2_000).optional() });
export const SatisfactionBody = z.strictObject({ score: z.number().int().min(0).max(5), comment: z.string().max(2_000).optional() });
export const AgentMessageBody = z.strictObject({ content: z.string().min(1).max(RAW_MESSAGE_CHARS) });
export const ConversationTokenBody = z.strictObject({ visitor_id: VisitorIdSchema.optional() });
export const ConversationTokenSchema = z.object({ token: z.string(), token_expires_at: isoTimestamp, ws_url: z.string() });

const isoDateTime = z.iso.datetime({ offset: false });

export const ConversationListQuery = PaginationQuery.extend({
  status: ConversationStatusSchema.optional(),
  assistant_id: idOf("ast").optional(),
  channel: ChannelSchema.optional(),
  visitor_id: VisitorIdSchema.optional(),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

export type Conversation = z.infer<typeof ConversationSchema>;
export type Message = z.infer<typeof MessageSchema>;
export type Escalation = z.infer<typeof EscalationSchema>;

// ---- OpenAI-compatible chat ----------------------------------------------------------------

/** A message part of the OpenAI request shape: text parts are read, others ignored. */
const OpenAIContentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

/**
 * The OpenAI chat request. Loose on purpose: official clients send fields we do not use
 * (`top_p`, `user`, `seed`…), and refusing them would break those clients.
 */
export const ChatCompletionBody = z
  .looseObject({
    model: idOf("ast").openapi({ description: "the assistant id" }),
    messages: z
      .array(
        z.looseObject({
          role: z.enum(["system", "developer", "user", "assistant", "tool"]),
          content: z.union([z.string().max(RAW_MESSAGE_CHARS * 4), z.array(OpenAIContentPart).max(50), z.null()]),
        }),
      )
      .min(1)
      .max(200),
    stream: z.boolean().optional(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    max_tokens: z.number().int().min(1).max(8192).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).max(8192).nullable().optional(),
    n: z.literal(1).nullable().optional(),
  })
  .openapi("ChatCompletionRequest");

// ---- analytics ----------------------------------------------------------------------------

export const AnalyticsSummaryQuery = z.strictObject({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  assistant_id: idOf("ast").optional(),
  channel: ChannelSchema.optional(),
});

export const AnalyticsSummarySchema = z
  .object({
    from: isoTimestamp,
    to: isoTimestamp,
    conversations: z.number().int(),
    messages: z.number().int(),
    resolution_rate: z.number().nullable(),
    escalation_rate: z.number().nullable(),
    csat_avg: z.number().nullable(),
    csat_responses: z.number().int(),
    latency_ms: z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() }),
    tokens: z.number().int(),
    estimated_cost_usd: z.number(),
    top_unanswered_questions: z.array(z.object({ question: z.string(), count: z.number().int() })),
  })
  .openapi("AnalyticsSummary");

// ---- knowledge base ------------------------------------------------------------------------

export const SourceTypeSchema = z.enum(["pdf", "docx", "html", "markdown", "text", "url", "manual"]);
export const DocumentStatusSchema = z.enum(["queued", "processing", "ready", "failed"]);

/** Largest manual document: well inside the 1 MiB JSON body limit. */
export const MAX_MANUAL_CONTENT_CHARS = 500_000;

export const DocumentSchema = z
  .object({
    id: z.string(),
    assistant_id: z.string(),
    title: z.string(),
    source_type: SourceTypeSchema,
    source_url: z.string().nullable(),
    status: DocumentStatusSchema,
    error: z.string().nullable(),
    chunk_count: z.number().int(),
    token_count: z.number().int(),
    size_bytes: z.number().int(),
    content_hash: z.string().nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("Document");

export const DocumentAcceptedSchema = z
  .object({ id: z.string(), status: DocumentStatusSchema, duplicate: z.boolean() })
  .openapi("DocumentAccepted");

/** Limits of a same-site crawl started from a URL. */
export const CrawlOptionsSchema = z.strictObject({
  max_pages: z.number().int().min(1).max(500).default(50),
  max_depth: z.number().int().min(0).max(5).default(2),
});

const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2_048);

export const ManualDocumentBody = z.strictObject({
  title: z.string().trim().min(1).max(300),
  content: z.string().min(1).max(MAX_MANUAL_CONTENT_CHARS),
});

export const UrlDocumentBody = z.strictObject({
  url: httpUrl,
  title: z.string().trim().min(1).max(300).optional(),
  /** Follow same-site links (or the sitemap) within these limits; absent means this page only. */
  crawl: CrawlOptionsSchema.optional(),
});

export const DocumentCreateBody = z.union([ManualDocumentBody, UrlDocumentBody]).openapi("DocumentCreate");

export const SearchQuery = z.strictObject({
  q: z.string().trim().min(1).max(1_000),
  k: z.coerce.number().int().min(1).max(20).default(5),
  /** Retrieval to use: both fused (default), or one half alone for comparison. */
  mode: z.enum(["hybrid", "keyword", "vector"]).default("hybrid"),
});

export const SearchHitSchema = z
  .object({
    chunk_id: z.string(),
    document_id: z.string(),
    title: z.string(),
    content: z.string(),
    score: z.number(),
    source: z.string().nullable(),
  })
  .openapi("SearchHit");

export type KnowledgeDocument = z.infer<typeof DocumentSchema>;
