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

/**
 * Visitor id prefixes of the channels (`email:ann@x.com`, `slack:T1:U1`, `whatsapp:+4930…`):
 * one per channel besides the web widget and the API. Only a channel creates such ids; a client
 * choosing one could read that channel visitor's conversations or receive their replies.
 */
export const CHANNEL_VISITOR_ID_PREFIXES: readonly string[] = ChannelSchema.options
  .filter((c) => c !== "web" && c !== "api")
  .map((c) => `${c}:`);

/** True when a visitor id carries a channel's prefix (in any letter case). */
export function hasChannelVisitorPrefix(visitorId: string): boolean {
  const lower = visitorId.toLowerCase();
  return CHANNEL_VISITOR_ID_PREFIXES.some((p) => lower.startsWith(p));
}

/** A visitor id a client (widget, API caller) chooses: never one of a channel's. */
export const ClientVisitorIdSchema = VisitorIdSchema.refine(
  (id) => !hasChannelVisitorPrefix(id),
  `must not start with a channel prefix (${CHANNEL_VISITOR_ID_PREFIXES.join(", ")}): those ids belong to conversations the channels start`,
);

const MetadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
  .refine((m) => Object.keys(m).length <= METADATA_MAX_KEYS, `at most ${METADATA_MAX_KEYS} keys`)
  .refine((m) => JSON.stringify(m).length <= METADATA_MAX_JSON_CHARS, `at most ${METADATA_MAX_JSON_CHARS} characters of JSON`);

export const ConversationCreateBody = z
  .strictObject({
    assistant_id: idOf("ast"),
    visitor_id: ClientVisitorIdSchema,
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
    /** A human agent's display name (their profile name); null otherwise. */
    sender_name: z.string().nullable(),
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
export const ConversationTokenBody = z.strictObject({ visitor_id: ClientVisitorIdSchema.optional() });
export const ConversationTokenSchema = z.object({
  token: z.string(),
  token_expires_at: isoTimestamp,
  ws_url: z.string(),
  /** What the token may do: a visitor's, an agent's (manager and above), or watch only (viewers). */
  role: z.enum(["visitor", "agent", "observer"]),
});

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

/** Longest learned phrasing, in characters: a question, not an article. */
export const PHRASING_MAX_CHARS = 500;

/** A learned phrasing: a visitor's wording of a question the document answers, used in retrieval. */
export const PhrasingSchema = z
  .object({
    id: z.string().openapi({ example: "phr_3fK9wQ2mZ8pL1xR7tY4v" }),
    document_id: z.string(),
    text: z.string(),
    /** The conversation it was learned from; null when staff wrote it. */
    conversation_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Phrasing");

/** `POST /documents/:id/phrasings`: a wording of a question the document answers. */
export const PhrasingCreateBody = z
  .strictObject({
    text: z.string().min(1).max(PHRASING_MAX_CHARS),
    /** The conversation whose visitor asked it this way; the phrasing is then erased with that visitor's data. */
    conversation_id: idOf("conv").optional(),
  })
  .openapi("PhrasingCreate");

/** `POST /conversations/:id/resolve`: optionally, the document that answers the question the AI could not. */
export const ResolveBody = z
  .strictObject({
    /** Keeps the visitor's unanswered question as a learned phrasing of this document (manager+). */
    document_id: idOf("doc").optional(),
  })
  .openapi("Resolve");

/** A resolved conversation; with `document_id` given, also the phrasing learned (null when the visitor asked nothing to learn). */
export const ResolvedConversationSchema = ConversationSchema.extend({ learned_phrasing: PhrasingSchema.nullable().optional() }).openapi("ResolvedConversation");

export type Phrasing = z.infer<typeof PhrasingSchema>;
export type ResolvedConversation = z.infer<typeof ResolvedConversationSchema>;

// ---- team, invites and workspace settings --------------------------------------------------

/** A member of the workspace as the team page shows it. */
export const TeamMemberSchema = UserSchema.extend({ last_login_at: isoTimestamp.nullable() }).openapi("TeamMember");

/** Days an invitation link stays valid. */
export const INVITE_TTL_DAYS = 7;

export const InviteCreateBody = z.strictObject({ email, role: RoleSchema }).openapi("InviteCreate");

export const InviteSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(["pending", "accepted", "revoked", "expired"]),
    invited_by: z.string().nullable(),
    expires_at: isoTimestamp,
    accepted_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Invite");

/** The create answer: the only time the link's token is shown. */
export const InviteWithTokenSchema = InviteSchema.extend({ token: z.string(), url: z.string() }).openapi("InviteWithToken");

export const InviteAcceptBody = z
  .strictObject({ token: z.string().min(1).max(200), password, name: name.optional() })
  .openapi("InviteAccept");

export const TeamRoleBody = z.strictObject({ role: RoleSchema }).openapi("TeamRoleChange");

/** Longest retention a workspace may choose: ten years. */
export const MAX_RETENTION_DAYS = 3_650;

export const WorkspaceUpdateBody = z
  .strictObject({
    name: name.optional(),
    company_name: name.nullable().optional(),
    /** Days after which conversations are deleted; null keeps them forever. */
    retention_days: z.number().int().min(1).max(MAX_RETENTION_DAYS).nullable().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, "at least one field must be given")
  .openapi("WorkspaceUpdate");

/** Deleting a workspace is confirmed by typing its name. */
export const WorkspaceDeleteBody = z.strictObject({ confirm_name: z.string().min(1).max(LIMITS.NAME_CHARS) });

export type TeamMember = z.infer<typeof TeamMemberSchema>;
export type Invite = z.infer<typeof InviteSchema>;

// ---- integrations --------------------------------------------------------------------------

export const IntegrationTypeSchema = z.enum(["slack", "whatsapp", "email", "zendesk", "stripe"]);

const setting = (max = 500) => z.string().trim().max(max);
/** A secret value: write-only, stored encrypted. `null` clears it. */
const secret = z.string().min(1).max(4_096).nullable();
/** Another API host for a provider (a regional endpoint, a proxy, or a local server in tests). */
const apiBaseUrl = z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional();

/** Non-secret settings and secret field names of each integration type. */
export const INTEGRATION_FIELDS = {
  slack: {
    config: z.strictObject({
      team_id: setting(40).optional(),
      /** Channel escalations are posted to, e.g. `C0123456789`. */
      escalation_channel: setting(80).optional(),
      assistant_id: idOf("ast").optional(),
      /** Which assistant answers in which Slack channel (`{"C0123456789": "ast_…"}`); others use `assistant_id`. */
      channel_assistants: z.record(setting(80), idOf("ast")).optional(),
      /** Slack Web API base URL; default `https://slack.com/api`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ bot_token: secret.optional(), signing_secret: secret.optional() }),
  },
  whatsapp: {
    config: z.strictObject({
      account_sid: setting(64).optional(),
      /** The Twilio sender, e.g. `whatsapp:+14155238886`. */
      from_number: setting(40).optional(),
      assistant_id: idOf("ast").optional(),
      /** The webhook URL exactly as entered in Twilio, when a proxy changes what the Worker sees. */
      webhook_url: z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional(),
      /** Inbound pictures and files: kept in R2 (`store`), or answered with a text-only note (`reject`). */
      media: z.enum(["store", "reject"]).optional(),
      /** Twilio REST API base URL; default `https://api.twilio.com`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ auth_token: secret.optional() }),
  },
  email: {
    config: z.strictObject({
      from_address: z.union([z.literal(""), email]).optional(),
      inbound_address: z.union([z.literal(""), email]).optional(),
      assistant_id: idOf("ast").optional(),
      from_name: setting(100).optional(),
      /** Where escalation notices are emailed, when the team wants email rather than Slack. */
      escalation_address: z.union([z.literal(""), email]).optional(),
      /** SendGrid's signed-webhook verification key (public, base64); when set, inbound mail must be signed. */
      signature_public_key: setting(1_000).optional(),
      /**
       * Answer only senders that pass SPF (for the From domain) or DKIM (signed by it), as SendGrid
       * reports them (default true); other mail is held for a person, marked `email_verified: false`.
       */
      require_sender_auth: z.boolean().optional(),
      /** SendGrid API base URL; default `https://api.sendgrid.com` (`https://api.eu.sendgrid.com` for EU). */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ sendgrid_api_key: secret.optional(), inbound_secret: secret.optional() }),
  },
  zendesk: {
    config: z.strictObject({
      /** `acme` for acme.zendesk.com. */
      subdomain: setting(63).optional(),
      agent_email: z.union([z.literal(""), email]).optional(),
      /** Tags added to every escalation ticket. */
      tags: z.array(setting(80)).max(20).optional(),
      /** Custom field values set on every escalation ticket. */
      custom_fields: z
        .array(z.strictObject({ id: z.number().int().positive(), value: z.union([setting(500), z.number(), z.boolean(), z.null()]) }))
        .max(50)
        .optional(),
      /** Send agents' public ticket comments back to the visitor's channel (default true). */
      relay_agent_comments: z.boolean().optional(),
      /** Zendesk API base URL; default `https://{subdomain}.zendesk.com`. */
      api_base_url: apiBaseUrl,
    }),
    secrets: z.strictObject({ api_token: secret.optional(), webhook_secret: secret.optional() }),
  },
  stripe: {
    config: z.strictObject({
      price_id: setting(100).optional(),
      customer_portal_return_url: z.union([z.literal(""), z.url({ protocol: /^https?$/ }).max(2_048)]).optional(),
    }),
    secrets: z.strictObject({ secret_key: secret.optional(), webhook_secret: secret.optional() }),
  },
} as const;

export type IntegrationType = z.infer<typeof IntegrationTypeSchema>;

/** `PUT /integrations/:type`; `config` and `secrets` are checked against the type's fields. */
export const IntegrationUpdateBody = z
  .strictObject({
    enabled: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).default({}),
    secrets: z.record(z.string(), z.unknown()).optional(),
  })
  .openapi("IntegrationUpdate");

export const IntegrationSchema = z
  .object({
    type: IntegrationTypeSchema,
    configured: z.boolean(),
    enabled: z.boolean(),
    config: z.record(z.string(), z.unknown()),
    /** Names of the secret fields that hold a value; the values are never returned. */
    secrets_set: z.array(z.string()),
    /** Every secret field this type takes. */
    secret_fields: z.array(z.string()),
    updated_at: isoTimestamp.nullable(),
  })
  .openapi("Integration");

export type Integration = z.infer<typeof IntegrationSchema>;

// ---- inbox search and export ---------------------------------------------------------------

/** The conversation list's query plus `q`: text searched for in the conversations' messages. */
export const ConversationInboxQuery = ConversationListQuery.extend({
  q: z.string().trim().min(1).max(200).optional(),
});

export const ConversationExportSchema = z
  .object({ conversation: ConversationSchema, messages: z.array(MessageSchema), exported_at: isoTimestamp })
  .openapi("ConversationExport");

export type ConversationExport = z.infer<typeof ConversationExportSchema>;

// ---- types the dashboard and other clients read --------------------------------------------

export type Session = z.infer<typeof SessionSchema>;
export type ApiKeyWithSecret = z.infer<typeof ApiKeyWithSecretSchema>;
export type InviteWithToken = z.infer<typeof InviteWithTokenSchema>;
export type AnalyticsSummary = z.infer<typeof AnalyticsSummarySchema>;
export type SearchHit = z.infer<typeof SearchHitSchema>;
export type DocumentAccepted = z.infer<typeof DocumentAcceptedSchema>;
export type ConversationToken = z.infer<typeof ConversationTokenSchema>;
export type Role = z.infer<typeof RoleSchema>;
export type Channel = z.infer<typeof ChannelSchema>;
export type ConversationStatus = z.infer<typeof ConversationStatusSchema>;
export type Tone = z.infer<typeof ToneSchema>;
export type Branding = z.infer<typeof BrandingSchema>;
/** One page of a list. */
export type Page<T> = { data: T[]; next_cursor: string | null };

// ---- billing and data rights ---------------------------------------------------------------

/** What a plan allows; null is unlimited. */
export const PlanLimitsSchema = z
  .object({
    api_calls_per_month: z.number().int().nullable(),
    conversations_per_month: z.number().int().nullable(),
    assistants: z.number().int().nullable(),
    documents: z.number().int().nullable(),
  })
  .openapi("PlanLimits");

export const BillingUsageSchema = z
  .object({
    period: z.object({ month: z.string().openapi({ example: "2026-11" }), from: isoTimestamp, to: isoTimestamp }),
    conversations: z.number().int(),
    api_calls: z.number().int(),
    tokens: z.number().int(),
    estimated_cost_usd: z.number(),
    assistants: z.number().int(),
    documents: z.number().int(),
  })
  .openapi("BillingUsage");

export const BillingSchema = z
  .object({
    /** The plan whose limits apply now (starter while a paid subscription is not paid up). */
    plan: PlanSchema,
    /** The plan paid for; differs from `plan` while the subscription is past due or canceled. */
    subscribed_plan: PlanSchema,
    /** Stripe's subscription status (`active`, `past_due`, `canceled`…), or `none`. */
    subscription_status: z.string(),
    current_period_end: isoTimestamp.nullable(),
    cancel_at_period_end: z.boolean(),
    /** False when this deployment has no Stripe key: nothing can be bought, nothing is capped. */
    billing_enabled: z.boolean(),
    limits: PlanLimitsSchema,
    usage: BillingUsageSchema,
    plans: z.array(
      z.object({ plan: PlanSchema, limits: PlanLimitsSchema, current: z.boolean(), purchasable: z.boolean() }),
    ),
    /** Plans above the current one that can be bought here, cheapest first. */
    upgrade_to: z.array(PlanSchema),
  })
  .openapi("Billing");

export const CheckoutBody = z.strictObject({ plan: z.enum(["pro", "enterprise"]) }).openapi("CheckoutRequest");

/** A page hosted by Stripe to send the admin to. */
export const HostedPageSchema = z
  .object({ url: z.string(), kind: z.enum(["checkout", "portal"]) })
  .openapi("HostedPage");

export const InvoiceSchema = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    status: z.string().nullable(),
    currency: z.string(),
    /** Amounts in the currency's smallest unit (cents). */
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    total: z.number().int(),
    created_at: isoTimestamp,
    period_start: isoTimestamp,
    period_end: isoTimestamp,
    hosted_invoice_url: z.string().nullable(),
    invoice_pdf: z.string().nullable(),
  })
  .openapi("Invoice");

export const InvoiceListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(255)
    .regex(/^in_[0-9A-Za-z]+$/, "must be an invoice id")
    .optional(),
});

export const VisitorParam = z.strictObject({
  visitor_id: VisitorIdSchema.openapi({ param: { name: "visitor_id", in: "path" } }),
});

/** Everything held about one visitor of the workspace (`GET /visitors/:visitor_id/export`). */
export const VisitorExportSchema = z
  .object({
    visitor_id: z.string(),
    exported_at: isoTimestamp,
    conversations: z.array(
      ConversationSchema.extend({ satisfaction_comment: z.string().nullable(), messages: z.array(MessageSchema) }),
    ),
    /** The visitor's questions kept as learned phrasings of knowledge-base documents. */
    phrasings: z.array(PhrasingSchema),
  })
  .openapi("VisitorExport");

/** What an erasure removed: counts only, never the data. */
export const VisitorErasureSchema = z
  .object({
    visitor_id: z.string(),
    erased_at: isoTimestamp,
    conversations: z.number().int(),
    messages: z.number().int(),
    attachments: z.number().int(),
    analytics_events: z.number().int(),
    phrasings: z.number().int(),
  })
  .openapi("VisitorErasure");

export type Billing = z.infer<typeof BillingSchema>;
export type PlanLimits = z.infer<typeof PlanLimitsSchema>;
export type Invoice = z.infer<typeof InvoiceSchema>;
export type HostedPage = z.infer<typeof HostedPageSchema>;
export type VisitorExport = z.infer<typeof VisitorExportSchema>;
export type VisitorErasure = z.infer<typeof VisitorErasureSchema>;

// ---- channels: connection tests and escalation deliveries ----------------------------------

/** `POST /integrations/:type/test`: the provider's cheapest authenticated call, and what it said. */
export const IntegrationTestSchema = z
  .object({
    type: IntegrationTypeSchema,
    ok: z.boolean(),
    /** What was checked and found, or why it failed (never a secret). */
    detail: z.string(),
    /** The provider's HTTP status, when it answered. */
    provider_status: z.number().int().nullable(),
    /** Seconds the provider asked to wait (429 `Retry-After`). */
    retry_after_seconds: z.number().int().nullable(),
    checked_at: isoTimestamp,
  })
  .openapi("IntegrationTest");

/** An escalation with where it was delivered: the ticket, and the last delivery failure if any. */
export const EscalationRecordSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    reason: EscalationReasonSchema,
    note: z.string().nullable(),
    status: z.enum(["open", "resolved"]),
    ticket_id: z.string().nullable(),
    ticket_provider: z.string().nullable(),
    /** Why the last notification attempt (Zendesk, Slack, email) failed; null once delivered. */
    last_error: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolved_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("EscalationRecord");

export const EscalationListQuery = PaginationQuery.extend({
  status: z.enum(["open", "resolved"]).optional(),
  conversation_id: idOf("conv").optional(),
  /** `true`: only escalations whose last delivery failed. */
  failed: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
});

export type IntegrationTest = z.infer<typeof IntegrationTestSchema>;
export type EscalationRecord = z.infer<typeof EscalationRecordSchema>;
