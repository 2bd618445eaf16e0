/**
 * Bindings and secrets that `wrangler types` cannot see: optional production bindings
 * (commented out in wrangler.toml until an account provides them) and secrets from `.dev.vars`.
 * Everything else comes from the generated `worker-configuration.d.ts`.
 */
interface OptionalBindings {
  /** Vectorize index; when absent the `local` vector store is used. */
  VECTORIZE?: VectorizeIndex;
  /** Hyperdrive to Postgres for analytics and audit logs; when absent they go to D1. */
  HYPERDRIVE?: Hyperdrive;
  /** Workers AI; enables the `workers-ai` model, embedder and reranker. */
  AI?: Ai;
  /** Workers Analytics Engine dataset for the deployment's metrics; when absent they go to D1. */
  METRICS?: AnalyticsEngineDataset;
}

/** Deployment settings left out of wrangler.toml's `[vars]` because most deployments leave them unset. */
interface OptionalVars {
  /** The operator's workspace: its admins see the system health (`GET /api/v1/analytics/system`). Unset: nobody. */
  OPERATOR_WORKSPACE_ID?: string;
  /** Analytics Engine dataset the `METRICS` binding writes to (default `edgedesk_metrics`), for reading it back. */
  METRICS_DATASET?: string;
  /** Base URL of Cloudflare's API for the Analytics Engine SQL API (default `https://api.cloudflare.com/client/v4`). */
  METRICS_SQL_API_BASE?: string;
  /** Generic alert webhook: receives each alert and recovery as signed JSON. */
  ALERT_WEBHOOK_URL?: string;
  /** Slack incoming webhook URL for alerts and recoveries. */
  ALERT_SLACK_WEBHOOK_URL?: string;
}

interface Secrets {
  /** HMAC key for access and conversation tokens, at least 32 characters. Required everywhere (no stand-in). */
  JWT_SECRET?: string;
  /** Base64 AES-256 key(s) for integration secrets, comma-separated `id:key`, newest first. Required everywhere. */
  ENCRYPTION_KEYS?: string;
  OPENAI_API_KEY?: string;
  OPENAI_BASE_URL?: string;
  ANTHROPIC_API_KEY?: string;
  ANTHROPIC_BASE_URL?: string;
  STRIPE_SECRET_KEY?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  /** Account of the Analytics Engine dataset, for reading metrics back through its SQL API. */
  CLOUDFLARE_ACCOUNT_ID?: string;
  /** API token with Account Analytics Read, for the Analytics Engine SQL API. */
  METRICS_API_TOKEN?: string;
  /** HMAC-SHA256 key signing the generic alert webhook's bodies. */
  ALERT_WEBHOOK_SECRET?: string;
}

declare namespace Cloudflare {
  interface Env extends OptionalBindings, OptionalVars, Secrets {}
}
interface Env extends OptionalBindings, OptionalVars, Secrets {}
