/**
 * Billing settings `wrangler types` cannot see (not in wrangler.toml): set as secrets or in
 * `.dev.vars`. `STRIPE_SECRET_KEY` and `STRIPE_WEBHOOK_SECRET` are declared in `../env.d.ts`.
 */
interface BillingSecrets {
  /** Another server speaking Stripe's API, e.g. `http://127.0.0.1:4242` (tests); Stripe itself when unset. */
  STRIPE_API_BASE?: string;
}

declare namespace Cloudflare {
  interface Env extends BillingSecrets {}
}
interface Env extends BillingSecrets {}
