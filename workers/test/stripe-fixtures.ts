import { createHash, createHmac } from "node:crypto";
import Stripe from "stripe";
import type { RecordedStripeRequest } from "./fake-stripe-server";

/**
 * Stripe as the billing tests meet it, in workerd and in Node alike: the objects and event
 * envelopes Stripe sends, its webhook signature, and the test controls of the fake Stripe API
 * (`fake-stripe-server.ts`). The Worker's suites reach it through `stripe-events.ts`, the
 * dashboard's through `dashboard/test/stripe.ts`.
 */

let counter = 0;

/** An id shaped like Stripe's test-mode ids, unique across tests and runs. */
export const rid = (prefix: string) => `${prefix}_test${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Now, in Stripe's unit (Unix seconds). */
export const nowS = () => Math.floor(Date.now() / 1000);

/**
 * HMAC-SHA256 over node:crypto, synchronous, so the SDK's own `generateTestHeaderString` can
 * sign inside workerd (its default provider there, WebCrypto, is async only) as well as in Node.
 */
class NodeHmacProvider extends Stripe.CryptoProvider {
  override computeHMACSignature(payload: string, secret: string): string {
    return createHmac("sha256", secret).update(payload, "utf8").digest("hex");
  }
  override async computeHMACSignatureAsync(payload: string, secret: string): Promise<string> {
    return this.computeHMACSignature(payload, secret);
  }
  override async computeSHA256Async(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(createHash("sha256").update(data).digest());
  }
}
const signer = new NodeHmacProvider();

/** A `Stripe-Signature` header for `payload` signed with `secret`, from the SDK's own test-header generator. */
export function stripeSignatureHeader(payload: string, secret: string, timestamp: number = nowS()): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp, cryptoProvider: signer });
}

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

/** A subscription id for a test. */
export const newSubscriptionId = () => rid("sub");

/** What the fake Stripe API at `stripeUrl` has received so far. */
export async function fakeStripeRequests(stripeUrl: string): Promise<RecordedStripeRequest[]> {
  return (await fetch(`${stripeUrl}/_test/requests`)).json() as Promise<RecordedStripeRequest[]>;
}

/** Adds invoices (partial Invoice objects, newest first) for `customer` to the fake Stripe API at `stripeUrl`; returns their ids. */
export async function seedFakeInvoices(stripeUrl: string, customer: string, invoices: Record<string, unknown>[]): Promise<string[]> {
  const res = await fetch(`${stripeUrl}/_test/invoices`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customer, invoices }),
  });
  return ((await res.json()) as { ids: string[] }).ids;
}
