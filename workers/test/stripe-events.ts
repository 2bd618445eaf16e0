import { createHmac } from "node:crypto";
import { env } from "cloudflare:test";
import Stripe from "stripe";
import { call } from "./helpers";

/** The Stripe key the billing suites switch billing on with (the fake accepts any `sk_test_`). */
export const TEST_STRIPE_KEY = "sk_test_edgedeskFakeStripeKey0123456789";

let counter = 0;
const rid = (prefix: string) => `${prefix}_test${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const nowS = () => Math.floor(Date.now() / 1000);

/**
 * HMAC-SHA256 over node:crypto, synchronous, so the SDK's own `generateTestHeaderString` can
 * sign inside workerd (its default provider there, WebCrypto, is async only).
 */
class NodeHmacProvider extends Stripe.CryptoProvider {
  override computeHMACSignature(payload: string, secret: string): string {
    return createHmac("sha256", secret).update(payload, "utf8").digest("hex");
  }
  override async computeHMACSignatureAsync(payload: string, secret: string): Promise<string> {
    return this.computeHMACSignature(payload, secret);
  }
  override async computeSHA256Async(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  }
}
const signer = new NodeHmacProvider();

/** A Stripe Event envelope around `object`, as Stripe sends it. */
export function stripeEvent(type: string, object: Record<string, unknown>, opts: { id?: string; created?: number } = {}) {
  return {
    id: opts.id ?? rid("evt"),
    object: "event",
    api_version: Stripe.API_VERSION,
    created: opts.created ?? nowS(),
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: rid("req"), idempotency_key: null },
    type,
  };
}

/** A Subscription object with one item on `price`. */
export function subscriptionObject(o: {
  id: string;
  customer: string;
  workspaceId: string;
  price: string;
  status: string;
  cancelAtPeriodEnd?: boolean;
}) {
  const start = nowS();
  return {
    id: o.id,
    object: "subscription",
    customer: o.customer,
    status: o.status,
    cancel_at_period_end: o.cancelAtPeriodEnd ?? false,
    canceled_at: o.status === "canceled" ? start : null,
    created: start,
    start_date: start,
    currency: "usd",
    livemode: false,
    metadata: { workspace_id: o.workspaceId },
    items: {
      object: "list",
      has_more: false,
      url: `/v1/subscription_items?subscription=${o.id}`,
      data: [
        {
          id: `si_${o.id.slice(4)}`,
          object: "subscription_item",
          subscription: o.id,
          quantity: 1,
          current_period_start: start,
          current_period_end: start + 30 * 86_400,
          price: { id: o.price, object: "price", active: true, currency: "usd", unit_amount: 4900, metadata: {}, recurring: { interval: "month" } },
        },
      ],
    },
  };
}

/** A completed subscription-mode Checkout Session. */
export function checkoutSessionObject(o: { workspaceId: string; customer: string; subscription: string; plan: string }) {
  return {
    id: rid("cs"),
    object: "checkout.session",
    mode: "subscription",
    status: "complete",
    payment_status: "paid",
    client_reference_id: o.workspaceId,
    customer: o.customer,
    subscription: o.subscription,
    metadata: { workspace_id: o.workspaceId, plan: o.plan },
    livemode: false,
    created: nowS(),
  };
}

/** An Invoice of a subscription. */
export function invoiceObject(o: { customer: string; subscription: string; workspaceId: string; paid: boolean }) {
  return {
    id: rid("in"),
    object: "invoice",
    customer: o.customer,
    status: o.paid ? "paid" : "open",
    currency: "usd",
    amount_due: 4900,
    amount_paid: o.paid ? 4900 : 0,
    total: 4900,
    attempt_count: 1,
    created: nowS(),
    livemode: false,
    parent: {
      type: "subscription_details",
      quote_details: null,
      subscription_details: { subscription: o.subscription, metadata: { workspace_id: o.workspaceId } },
    },
  };
}

/** A `Stripe-Signature` header for `payload`, from the SDK's own test-header generator. */
export function signatureFor(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload,
    secret: opts.secret ?? env.STRIPE_WEBHOOK_SECRET!,
    timestamp: opts.timestamp ?? nowS(),
    cryptoProvider: signer,
  });
}

/** Delivers `event` to `POST /webhooks/stripe`, signed unless `signature` is given. */
export function deliver(event: unknown, opts: { signature?: string | null; secret?: string; timestamp?: number; rawBody?: string } = {}) {
  const payload = opts.rawBody ?? JSON.stringify(event);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature = opts.signature === undefined ? signatureFor(payload, opts) : opts.signature;
  if (signature !== null) headers["stripe-signature"] = signature;
  return call("POST", "/webhooks/stripe", { rawBody: payload, headers });
}

/** A subscription id for a test. */
export const newSubscriptionId = () => rid("sub");

/** What the fake Stripe API has received so far. */
export async function stripeRequests(): Promise<{ method: string; path: string; body: Record<string, unknown>; idempotency_key: string | null }[]> {
  return (await fetch(`${env.STRIPE_API_BASE}/_test/requests`)).json();
}

/** Adds invoices for `customer` to the fake Stripe API. */
export async function seedInvoices(customer: string, invoices: Record<string, unknown>[]): Promise<string[]> {
  const res = await fetch(`${env.STRIPE_API_BASE}/_test/invoices`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customer, invoices }),
  });
  return ((await res.json()) as { ids: string[] }).ids;
}
