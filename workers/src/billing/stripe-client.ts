/**
 * The Stripe SDK set up for Workers: `fetch` for HTTP and WebCrypto for webhook signatures.
 * `STRIPE_API_BASE` points it at another server speaking Stripe's API (tests use a local one).
 */
import Stripe from "stripe";
import { ApiError } from "../lib/errors";
import type { Plan } from "./plans";

/** Stripe's requests give up after this long; a checkout link is not worth a hung request. */
const STRIPE_TIMEOUT_MS = 10_000;
/** One retry of a failed call (the SDK adds idempotency keys to retried POSTs). */
const STRIPE_NETWORK_RETRIES = 1;

/** What the billing code reads from the environment. */
export type StripeEnv = Pick<
  Env,
  "STRIPE_SECRET_KEY" | "STRIPE_WEBHOOK_SECRET" | "STRIPE_PRICE_PRO" | "STRIPE_PRICE_ENTERPRISE" | "STRIPE_API_BASE"
>;

/** WebCrypto for verifying webhook signatures (the Node crypto provider does not run here). */
export const stripeCrypto = Stripe.createSubtleCryptoProvider();

/** True when this deployment has a Stripe secret key. */
export function stripeConfigured(env: Pick<StripeEnv, "STRIPE_SECRET_KEY">): boolean {
  return Boolean(env.STRIPE_SECRET_KEY?.trim());
}

function apiBaseOptions(base: string | undefined): { host?: string; port?: number; protocol?: "http" | "https" } {
  if (!base?.trim()) return {};
  const url = new URL(base);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { host: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)), protocol };
}

/** A Stripe client, or 403 when billing is not configured on this deployment. */
export function createStripe(env: StripeEnv): Stripe {
  const key = env.STRIPE_SECRET_KEY?.trim();
  if (!key) throw new ApiError("forbidden", "billing is not configured on this deployment");
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: STRIPE_NETWORK_RETRIES,
    timeout: STRIPE_TIMEOUT_MS,
    telemetry: false,
    ...apiBaseOptions(env.STRIPE_API_BASE),
  });
}

/** The Stripe price that sells `plan`, or 403 when it is not configured. */
export function priceForPlan(env: StripeEnv, plan: Exclude<Plan, "starter">): string {
  const price = (plan === "pro" ? env.STRIPE_PRICE_PRO : env.STRIPE_PRICE_ENTERPRISE)?.trim();
  if (!price) throw new ApiError("forbidden", `the ${plan} plan has no Stripe price configured on this deployment`);
  return price;
}

/** The plan a Stripe price sells, or null for a price this deployment does not know. */
export function planForPrice(env: StripeEnv, priceId: string | null | undefined): Plan | null {
  if (!priceId) return null;
  if (priceId === env.STRIPE_PRICE_PRO?.trim()) return "pro";
  if (priceId === env.STRIPE_PRICE_ENTERPRISE?.trim()) return "enterprise";
  return null;
}

/** Turns a Stripe API failure into a 502 that names no secret; other errors pass through. */
export function upstreamError(err: unknown): unknown {
  if (err instanceof Stripe.errors.StripeError) {
    return new ApiError("upstream_error", "the payment provider could not be reached or refused the request", {
      provider: "stripe",
      type: err.type,
      ...(err.code ? { provider_code: err.code } : {}),
    });
  }
  return err;
}
