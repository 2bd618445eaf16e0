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
}

declare namespace Cloudflare {
  interface Env extends OptionalBindings, Secrets {}
}
interface Env extends OptionalBindings, Secrets {}
