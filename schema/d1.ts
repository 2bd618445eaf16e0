/**
 * Over 400 lines on purpose: drizzle-kit reads one schema file, and every D1 table in one place
 * keeps the migrations one stream.
 *
 * The D1 schema: tenants and operational data. Every row that belongs to a tenant carries
 * `workspace_id`, and every query the Worker makes is scoped by it.
 *
 * Timestamps are ISO-8601 UTC strings (what the API returns), so they sort lexically.
 * JSON columns hold small structured values (origins, policies, sources), never unbounded text.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

const timestamps = {
  created_at: text("created_at").notNull().default(now),
  updated_at: text("updated_at").notNull().default(now),
};

/** A tenant: one business using the platform (the spec's "customers"). */
export const workspaces = sqliteTable(
  "workspaces",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    company_name: text("company_name"),
    plan: text("plan", { enum: ["starter", "pro", "enterprise"] }).notNull().default("starter"),
    /** Days after which conversations are deleted by the scheduled handler; null keeps them. */
    retention_days: integer("retention_days"),
    stripe_customer_id: text("stripe_customer_id"),
    /** Where its conversations, knowledge and files live (`eu`: the EU jurisdiction); fixed at sign-up. */
    data_region: text("data_region", { enum: ["default", "eu"] }).notNull().default("default"),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [index("workspaces_stripe_customer_idx").on(t.stripe_customer_id)],
);

/** A dashboard user; email is unique across the platform so sign-in needs no workspace. */
export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    email: text("email").notNull(),
    name: text("name"),
    password_hash: text("password_hash").notNull(),
    role: text("role", { enum: ["admin", "manager", "viewer"] }).notNull(),
    last_login_at: text("last_login_at"),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [
    uniqueIndex("users_email_uq").on(t.email),
    index("users_workspace_idx").on(t.workspace_id),
  ],
);

/** Rotating refresh tokens; a family shares one lineage so reuse can revoke all of it. */
export const refresh_tokens = sqliteTable(
  "refresh_tokens",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id").notNull().references(() => users.id),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    family_id: text("family_id").notNull(),
    token_hash: text("token_hash").notNull(),
    expires_at: text("expires_at").notNull(),
    used_at: text("used_at"),
    revoked_at: text("revoked_at"),
    created_at: timestamps.created_at,
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.token_hash),
    index("refresh_tokens_family_idx").on(t.family_id),
    index("refresh_tokens_user_idx").on(t.user_id),
  ],
);

/** An AI assistant: its prompt, tone, escalation threshold, model policy and allowed origins. */
export const assistants = sqliteTable(
  "assistants",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    system_prompt: text("system_prompt").notNull().default(""),
    tone: text("tone", { enum: ["friendly", "professional", "casual"] }).notNull().default("friendly"),
    escalation_threshold: real("escalation_threshold").notNull().default(0.35),
    model_policy: text("model_policy", { mode: "json" }).notNull().default(sql`'{}'`),
    allowed_origins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    branding: text("branding", { mode: "json" }).notNull().default(sql`'{}'`),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [index("assistants_workspace_idx").on(t.workspace_id, t.created_at)],
);

/** Secret (`sk_live_`) and publishable (`pk_live_`) keys, stored only as SHA-256 hashes. */
export const api_keys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    name: text("name").notNull(),
    type: text("type", { enum: ["secret", "publishable"] }).notNull(),
    scope: text("scope", { enum: ["admin", "manager", "viewer", "widget"] }).notNull(),
    key_hash: text("key_hash").notNull(),
    prefix: text("prefix").notNull(),
    assistant_id: text("assistant_id").references(() => assistants.id),
    allowed_origins: text("allowed_origins", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    expires_at: text("expires_at"),
    /** After a rotation, the replaced key keeps working until `previous_expires_at` (overlap). */
    previous_key_hash: text("previous_key_hash"),
    previous_expires_at: text("previous_expires_at"),
    last_used_at: text("last_used_at"),
    revoked_at: text("revoked_at"),
    created_by: text("created_by"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("api_keys_hash_uq").on(t.key_hash),
    index("api_keys_previous_hash_idx").on(t.previous_key_hash),
    index("api_keys_workspace_idx").on(t.workspace_id, t.created_at),
  ],
);

/** The dashboard's index of conversations; each conversation's Durable Object is the truth. */
export const conversations = sqliteTable(
  "conversations",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    channel: text("channel", { enum: ["web", "api", "slack", "whatsapp", "email"] }).notNull(),
    visitor_id: text("visitor_id").notNull(),
    status: text("status", { enum: ["active", "resolved", "escalated"] }).notNull().default("active"),
    /** Set while a human agent has taken over; the AI stays silent until it is cleared. */
    human_takeover: integer("human_takeover", { mode: "boolean" }).notNull().default(false),
    satisfaction_score: integer("satisfaction_score"),
    satisfaction_comment: text("satisfaction_comment"),
    metadata: text("metadata", { mode: "json" }).notNull().default(sql`'{}'`),
    /** Channel thread key (Slack thread, WhatsApp number, email thread) for inbound routing. */
    external_ref: text("external_ref"),
    /** The visitor proved who they are with the assistant's identity secret (HMAC or JWT). */
    verified: integer("verified", { mode: "boolean" }).notNull().default(false),
    /** The verified claims (`{user_id, email?, name?}`) when `verified`; null otherwise. */
    identity: text("identity", { mode: "json" }),
    message_count: integer("message_count").notNull().default(0),
    last_message_at: text("last_message_at"),
    resolved_at: text("resolved_at"),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [
    index("conversations_workspace_status_idx").on(t.workspace_id, t.status, t.updated_at),
    index("conversations_workspace_created_idx").on(t.workspace_id, t.created_at),
    index("conversations_visitor_idx").on(t.workspace_id, t.visitor_id),
    index("conversations_assistant_idx").on(t.assistant_id),
    index("conversations_external_ref_idx").on(t.workspace_id, t.channel, t.external_ref),
  ],
);

/** Messages, copied from each conversation's Durable Object through its outbox. */
export const messages = sqliteTable(
  "messages",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    conversation_id: text("conversation_id").notNull().references(() => conversations.id),
    seq: integer("seq").notNull(),
    sender_type: text("sender_type", { enum: ["visitor", "assistant", "human_agent", "system"] }).notNull(),
    sender_id: text("sender_id"),
    content: text("content").notNull(),
    status: text("status", { enum: ["complete", "streaming", "stopped", "failed"] }).notNull().default("complete"),
    sources: text("sources", { mode: "json" }).notNull().default(sql`'[]'`),
    confidence: real("confidence"),
    tokens_used: integer("tokens_used").notNull().default(0),
    latency_ms: integer("latency_ms"),
    cost_usd: real("cost_usd").notNull().default(0),
    model: text("model"),
    client_id: text("client_id"),
    /** The actions an answer called (redacted), as the conversation stored them; null when none. */
    tool_calls: text("tool_calls", { mode: "json" }),
    created_at: timestamps.created_at,
  },
  (t) => [
    uniqueIndex("messages_conversation_seq_uq").on(t.conversation_id, t.seq),
    index("messages_workspace_created_idx").on(t.workspace_id, t.created_at),
  ],
);

/** Hand-offs to a human, with the external ticket they created. */
export const escalations = sqliteTable(
  "escalations",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    conversation_id: text("conversation_id").notNull().references(() => conversations.id),
    reason: text("reason", { enum: ["low_confidence", "user_request", "no_match", "negative_sentiment"] }).notNull(),
    note: text("note"),
    status: text("status", { enum: ["open", "resolved"] }).notNull().default("open"),
    ticket_id: text("ticket_id"),
    ticket_provider: text("ticket_provider"),
    last_error: text("last_error"),
    resolved_by: text("resolved_by"),
    resolved_at: text("resolved_at"),
    ...timestamps,
  },
  (t) => [
    index("escalations_workspace_idx").on(t.workspace_id, t.status, t.created_at),
    index("escalations_conversation_idx").on(t.conversation_id),
    index("escalations_ticket_idx").on(t.ticket_provider, t.ticket_id),
    // The sweep's look-up of recent open escalations across workspaces.
    index("escalations_status_created_idx").on(t.status, t.created_at),
  ],
);

/** Knowledge-base documents: one uploaded file, URL or manual entry. */
export const kb_documents = sqliteTable(
  "kb_documents",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    title: text("title").notNull(),
    source_type: text("source_type", {
      enum: ["pdf", "docx", "html", "markdown", "text", "url", "manual", "notion"],
    }).notNull(),
    source_url: text("source_url"),
    /** The Notion source (`notion_sources`) that keeps this page, for `source_type` `notion`. */
    notion_source_id: text("notion_source_id"),
    /** Notion's page id, for `source_type` `notion`. */
    external_id: text("external_id"),
    /** The page's `last_edited_time` when it was last indexed: a re-sync skips a page that still has it. */
    external_edited_at: text("external_edited_at"),
    r2_key: text("r2_key"),
    mime_type: text("mime_type"),
    size_bytes: integer("size_bytes").notNull().default(0),
    status: text("status", { enum: ["queued", "processing", "ready", "failed"] }).notNull().default("queued"),
    error: text("error"),
    chunk_count: integer("chunk_count").notNull().default(0),
    token_count: integer("token_count").notNull().default(0),
    content_hash: text("content_hash"),
    /**
     * Times the scheduled sweep sent the document to ingestion again because it sat `queued` or
     * `processing` with no progress; back to 0 when it ends `ready` or `failed`.
     */
    ingest_sweeps: integer("ingest_sweeps").notNull().default(0),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [
    index("kb_documents_assistant_idx").on(t.workspace_id, t.assistant_id, t.created_at),
    index("kb_documents_hash_idx").on(t.assistant_id, t.content_hash),
    // The sweep's look-up of documents waiting too long, without reading every document.
    index("kb_documents_status_idx").on(t.status, t.updated_at),
    // A Notion source's pages, looked up on every sync.
    index("kb_documents_notion_idx").on(t.notion_source_id, t.external_id),
  ],
);

/**
 * A Notion page or database an assistant keeps in sync: each page becomes a `notion` document.
 * The token is the workspace's `notion` integration; these rows hold only what to sync.
 */
export const notion_sources = sqliteTable(
  "notion_sources",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    kind: text("kind", { enum: ["page", "database"] }).notNull(),
    /** Notion's id, dashed lower-case. */
    notion_id: text("notion_id").notNull(),
    title: text("title"),
    url: text("url"),
    status: text("status", { enum: ["queued", "syncing", "ready", "failed"] }).notNull().default("queued"),
    error: text("error"),
    page_count: integer("page_count").notNull().default(0),
    last_synced_at: text("last_synced_at"),
    ...timestamps,
    deleted_at: text("deleted_at"),
  },
  (t) => [
    index("notion_sources_assistant_idx").on(t.workspace_id, t.assistant_id, t.created_at),
    // The scheduled re-sync's look-up of sources synced longest ago.
    index("notion_sources_synced_idx").on(t.deleted_at, t.last_synced_at),
  ],
);

/** Chunks of documents; `kb_chunks_fts` (FTS5, created in a hand-written migration) indexes them. */
export const kb_chunks = sqliteTable(
  "kb_chunks",
  {
    /** Integer rowid: the FTS5 external-content table joins on it. */
    rowid: integer("rowid").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    document_id: text("document_id").notNull().references(() => kb_documents.id),
    ordinal: integer("ordinal").notNull(),
    title: text("title").notNull(),
    heading: text("heading"),
    content: text("content").notNull(),
    token_count: integer("token_count").notNull().default(0),
    content_hash: text("content_hash").notNull(),
    created_at: timestamps.created_at,
  },
  (t) => [
    uniqueIndex("kb_chunks_id_uq").on(t.id),
    index("kb_chunks_document_idx").on(t.document_id, t.ordinal),
    index("kb_chunks_assistant_idx").on(t.workspace_id, t.assistant_id),
  ],
);

/** Per-workspace channel and ticketing settings; secrets are AES-GCM encrypted. */
export const integrations = sqliteTable(
  "integrations",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    type: text("type").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    config: text("config", { mode: "json" }).notNull().default(sql`'{}'`),
    secrets_ciphertext: text("secrets_ciphertext"),
    secrets_key_id: text("secrets_key_id"),
    ...timestamps,
  },
  (t) => [uniqueIndex("integrations_workspace_type_uq").on(t.workspace_id, t.type)],
);

/**
 * An assistant's identity secret, sealed with `ENCRYPTION_KEYS`: the key a business's backend
 * signs its users' ids (HMAC) or tokens (JWT HS256) with, so their conversations are verified.
 * One per assistant; rotating replaces it at once (no grace period).
 */
export const identity_secrets = sqliteTable("identity_secrets", {
  assistant_id: text("assistant_id").primaryKey().references(() => assistants.id),
  workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
  secret_ciphertext: text("secret_ciphertext").notNull(),
  secret_key_id: text("secret_key_id").notNull(),
  ...timestamps,
});

/** Analytics events when no Hyperdrive binding is configured (the Postgres table's twin). */
export const analytics_events = sqliteTable(
  "analytics_events",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull(),
    type: text("type").notNull(),
    assistant_id: text("assistant_id"),
    conversation_id: text("conversation_id"),
    visitor_id: text("visitor_id"),
    channel: text("channel"),
    latency_ms: integer("latency_ms"),
    tokens: integer("tokens"),
    cost_usd: real("cost_usd"),
    properties: text("properties", { mode: "json" }).notNull().default(sql`'{}'`),
    created_at: text("created_at").notNull(),
  },
  (t) => [
    index("analytics_events_workspace_time_idx").on(t.workspace_id, t.created_at),
    index("analytics_events_workspace_type_idx").on(t.workspace_id, t.type, t.created_at),
    index("analytics_events_visitor_idx").on(t.workspace_id, t.visitor_id),
  ],
);

/** Who did what, when: every admin action and every erasure (without the erased data). */
export const audit_logs = sqliteTable(
  "audit_logs",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull(),
    actor_type: text("actor_type", { enum: ["user", "api_key", "system"] }).notNull(),
    actor_id: text("actor_id"),
    action: text("action").notNull(),
    target_type: text("target_type"),
    target_id: text("target_id"),
    metadata: text("metadata", { mode: "json" }).notNull().default(sql`'{}'`),
    ip: text("ip"),
    request_id: text("request_id"),
    created_at: text("created_at").notNull(),
  },
  (t) => [index("audit_logs_workspace_time_idx").on(t.workspace_id, t.created_at)],
);

/** Ids of webhook deliveries already handled, so retries are processed once. */
export const processed_events = sqliteTable(
  "processed_events",
  {
    source: text("source").notNull(),
    event_id: text("event_id").notNull(),
    created_at: timestamps.created_at,
  },
  (t) => [uniqueIndex("processed_events_uq").on(t.source, t.event_id)],
);

/**
 * Invitations to join a workspace: a one-time link whose token is stored only as a SHA-256
 * hash. Accepting one creates the user with the invite's role.
 */
export const invites = sqliteTable(
  "invites",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    email: text("email").notNull(),
    role: text("role", { enum: ["admin", "manager", "viewer"] }).notNull(),
    token_hash: text("token_hash").notNull(),
    invited_by: text("invited_by"),
    expires_at: text("expires_at").notNull(),
    accepted_at: text("accepted_at"),
    accepted_user_id: text("accepted_user_id"),
    revoked_at: text("revoked_at"),
    created_at: timestamps.created_at,
  },
  (t) => [
    uniqueIndex("invites_token_hash_uq").on(t.token_hash),
    index("invites_workspace_idx").on(t.workspace_id, t.created_at),
    index("invites_workspace_email_idx").on(t.workspace_id, t.email),
  ],
);

/**
 * A workspace's Stripe subscription as Stripe last reported it through webhooks. `plan` is the
 * plan paid for; `workspaces.plan` is the plan whose limits apply now (starter while a payment
 * is overdue). `state_at` is the Stripe `created` time (epoch seconds) of the event the state
 * came from, so an older event arriving late never overwrites a newer state.
 */
export const billing_subscriptions = sqliteTable(
  "billing_subscriptions",
  {
    workspace_id: text("workspace_id").primaryKey().references(() => workspaces.id),
    stripe_customer_id: text("stripe_customer_id"),
    stripe_subscription_id: text("stripe_subscription_id"),
    stripe_subscription_item_id: text("stripe_subscription_item_id"),
    plan: text("plan", { enum: ["starter", "pro", "enterprise"] }).notNull().default("starter"),
    /** Stripe's subscription status, or `none` before the first subscription. */
    status: text("status").notNull().default("none"),
    current_period_end: text("current_period_end"),
    cancel_at_period_end: integer("cancel_at_period_end", { mode: "boolean" }).notNull().default(false),
    state_at: integer("state_at").notNull().default(0),
    ...timestamps,
  },
  (t) => [
    index("billing_subscriptions_subscription_idx").on(t.stripe_subscription_id),
    index("billing_subscriptions_customer_idx").on(t.stripe_customer_id),
  ],
);

/** Metered usage of a workspace per calendar month (UTC), e.g. period `2026-11`. */
export const usage_counters = sqliteTable(
  "usage_counters",
  {
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    period: text("period").notNull(),
    conversations: integer("conversations").notNull().default(0),
    api_calls: integer("api_calls").notNull().default(0),
    updated_at: timestamps.updated_at,
  },
  (t) => [primaryKey({ columns: [t.workspace_id, t.period] })],
);

/**
 * Visitor erasures to repeat once more on the analytics store, for events that were still on
 * the analytics queue when the erasure ran. Kept only until the next scheduled run.
 */
export const erasure_followups = sqliteTable(
  "erasure_followups",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull(),
    visitor_id: text("visitor_id").notNull(),
    run_after: text("run_after").notNull(),
    created_at: timestamps.created_at,
  },
  (t) => [index("erasure_followups_run_after_idx").on(t.run_after)],
);

/**
 * An action an assistant may run: an HTTP call the business defined (by hand or from an
 * OpenAPI document) or a tool of a connected MCP server. Header values are sealed like
 * integration secrets; `headers_set` keeps their names only.
 */
export const actions = sqliteTable(
  "actions",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    /** The MCP server a `kind: 'mcp'` action came from; null for HTTP actions. */
    mcp_server_id: text("mcp_server_id"),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    kind: text("kind", { enum: ["http", "mcp"] }).notNull(),
    parameters: text("parameters", { mode: "json" }).notNull().default(sql`'{}'`),
    method: text("method", { enum: ["GET", "POST", "PUT", "PATCH", "DELETE"] }).notNull(),
    url: text("url").notNull(),
    headers_set: text("headers_set", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    headers_ciphertext: text("headers_ciphertext"),
    headers_key_id: text("headers_key_id"),
    response_fields: text("response_fields", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    mutating: integer("mutating", { mode: "boolean" }).notNull().default(false),
    requires_verified: integer("requires_verified", { mode: "boolean" }).notNull().default(false),
    triggers: text("triggers", { mode: "json" }),
    answer_template: text("answer_template"),
    timeout_ms: integer("timeout_ms"),
    /** Whether a failed or timed-out call hands the conversation to a person, with the call's error. */
    handoff_on_failure: integer("handoff_on_failure", { mode: "boolean" }).notNull().default(true),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("actions_assistant_name_uq").on(t.assistant_id, t.name),
    index("actions_workspace_idx").on(t.workspace_id, t.created_at),
    index("actions_mcp_server_idx").on(t.mcp_server_id),
  ],
);

/** A remote MCP server (Streamable HTTP) whose tools an assistant runs as actions. */
export const mcp_servers = sqliteTable(
  "mcp_servers",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    assistant_id: text("assistant_id").notNull().references(() => assistants.id),
    url: text("url").notNull(),
    headers_set: text("headers_set", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    headers_ciphertext: text("headers_ciphertext"),
    headers_key_id: text("headers_key_id"),
    server_name: text("server_name"),
    tool_count: integer("tool_count").notNull().default(0),
    refreshed_at: text("refreshed_at"),
    ...timestamps,
  },
  (t) => [uniqueIndex("mcp_servers_assistant_url_uq").on(t.assistant_id, t.url)],
);

/**
 * Calls of actions (tests from the dashboard, procedures, the model's tool calls), with their
 * arguments and results redacted and truncated, so a business can see what ran and what failed.
 */
export const action_calls = sqliteTable(
  "action_calls",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    action_id: text("action_id").notNull(),
    assistant_id: text("assistant_id").notNull(),
    conversation_id: text("conversation_id"),
    source: text("source", { enum: ["test", "procedure", "model"] }).notNull(),
    status: text("status", { enum: ["done", "failed", "declined"] }).notNull(),
    arguments: text("arguments", { mode: "json" }).notNull().default(sql`'{}'`),
    result: text("result", { mode: "json" }),
    error: text("error"),
    http_status: integer("http_status"),
    latency_ms: integer("latency_ms").notNull().default(0),
    created_at: timestamps.created_at,
  },
  (t) => [
    index("action_calls_action_idx").on(t.action_id, t.created_at),
    index("action_calls_conversation_idx").on(t.conversation_id),
  ],
);

/**
 * A workspace's saved replies: text an agent inserts into a reply with `/`, with variables
 * (`{{visitor.name}}`, `{{conversation.link}}`, `{{assistant.name}}`) filled in. `use_count`
 * orders the list, most used first.
 */
export const saved_replies = sqliteTable(
  "saved_replies",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    title: text("title").notNull(),
    body: text("body").notNull(),
    use_count: integer("use_count").notNull().default(0),
    created_by: text("created_by"),
    ...timestamps,
  },
  (t) => [uniqueIndex("saved_replies_workspace_title_uq").on(t.workspace_id, t.title), index("saved_replies_workspace_use_idx").on(t.workspace_id, t.use_count)],
);

/**
 * The CRM contact a conversation's visitor was matched to (by email), kept so notes go to the
 * same contact on every retry and the dashboard can link to it.
 */
export const crm_contacts = sqliteTable(
  "crm_contacts",
  {
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    conversation_id: text("conversation_id").notNull(),
    provider: text("provider", { enum: ["hubspot"] }).notNull(),
    contact_id: text("contact_id").notNull(),
    email: text("email").notNull(),
    name: text("name"),
    /** The contact's page in the CRM's app. */
    url: text("url"),
    /** True when the platform created the contact (no contact had the email). */
    created_contact: integer("created_contact", { mode: "boolean" }).notNull().default(false),
    ...timestamps,
  },
  (t) => [primaryKey({ columns: [t.workspace_id, t.conversation_id, t.provider] })],
);

/**
 * A workspace's OpenID Connect sign-in: its provider, its client (the secret sealed like
 * integration secrets), who may sign in (verified emails of `allowed_domains`) and what role a
 * new member gets. `break_glass_user_id` is the one admin who keeps password sign-in while SSO is
 * required: whoever last switched `required` on.
 */
export const sso_configs = sqliteTable("sso_configs", {
  workspace_id: text("workspace_id").primaryKey().references(() => workspaces.id),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  issuer: text("issuer").notNull(),
  client_id: text("client_id").notNull(),
  client_secret_ciphertext: text("client_secret_ciphertext"),
  client_secret_key_id: text("client_secret_key_id"),
  allowed_domains: text("allowed_domains", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  default_role: text("default_role", { enum: ["manager", "viewer"] }).notNull().default("viewer"),
  required: integer("required", { mode: "boolean" }).notNull().default(false),
  break_glass_user_id: text("break_glass_user_id"),
  ...timestamps,
});

/**
 * One SSO sign-in under way: the state, nonce and PKCE verifier sent to the provider, bound to
 * the browser that started it (`browser_hash`, from a cookie), and once the provider answered,
 * the one-time code the dashboard trades for a session. Rows live minutes; the scheduled sweep
 * does not need them.
 */
export const sso_logins = sqliteTable(
  "sso_logins",
  {
    id: text("id").primaryKey(),
    workspace_id: text("workspace_id").notNull().references(() => workspaces.id),
    state_hash: text("state_hash").notNull(),
    browser_hash: text("browser_hash").notNull(),
    nonce: text("nonce").notNull(),
    code_verifier: text("code_verifier").notNull(),
    redirect_uri: text("redirect_uri").notNull(),
    next_path: text("next_path"),
    expires_at: text("expires_at").notNull(),
    completed_at: text("completed_at"),
    user_id: text("user_id"),
    exchange_code_hash: text("exchange_code_hash"),
    exchange_expires_at: text("exchange_expires_at"),
    exchanged_at: text("exchanged_at"),
    created_at: timestamps.created_at,
  },
  (t) => [
    uniqueIndex("sso_logins_state_uq").on(t.state_hash),
    uniqueIndex("sso_logins_exchange_uq").on(t.exchange_code_hash),
  ],
);

/**
 * The deployment's own health, offline: one row per request, answered message or queue job
 * (`workers/src/metrics/d1-metrics-sink.ts`). Production writes to Workers Analytics Engine
 * instead. Rows older than the metrics retention are pruned by the scheduled handler.
 */
export const metric_points = sqliteTable(
  "metric_points",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    kind: text("kind", { enum: ["request", "message", "queue_job"] }).notNull(),
    /** Epoch milliseconds. */
    at: integer("at").notNull(),
    /** Route pattern, model or queue. */
    name: text("name"),
    /** HTTP method, answer status or job outcome. */
    detail: text("detail"),
    status: integer("status"),
    duration_ms: real("duration_ms"),
    first_delta_ms: real("first_delta_ms"),
    retrieval_ms: real("retrieval_ms"),
    llm_ms: real("llm_ms"),
    tokens: integer("tokens"),
  },
  (t) => [index("metric_points_kind_at_idx").on(t.kind, t.at)],
);

/**
 * Alerts of the deployment (error rate, message latency, failing probes): one row per alert key,
 * so each is notified once when it opens and once when it clears.
 */
export const alert_states = sqliteTable("alert_states", {
  key: text("key").primaryKey(),
  open: integer("open").notNull().default(0),
  /** What was measured when it last changed, for the notice. */
  detail: text("detail"),
  opened_at: text("opened_at"),
  updated_at: text("updated_at").notNull(),
});
