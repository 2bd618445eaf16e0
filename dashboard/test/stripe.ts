/**
 * Billing test helpers: Stripe's webhook signature, the events that subscribe a workspace, and
 * the fake Stripe API's test controls (`workers/test/fake-stripe-server.ts`).
 */
import { createHmac } from "node:crypto";

/** Stripe's `Stripe-Signature` header (v1: HMAC-SHA256 of `timestamp.payload`). */
export function stripeSignature(payload: string, secret: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${payload}`, "utf8").digest("hex")}`;
}

/** Delivers a signed Stripe event to a Worker's `POST /webhooks/stripe`; throws unless accepted. */
export async function deliverStripeEvent(apiUrl: string, secret: string, type: string, object: Record<string, unknown>): Promise<void> {
  const event = {
    id: `evt_dash${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
    object: "event",
    created: Math.floor(Date.now() / 1000),
    type,
    livemode: false,
    data: { object },
  };
  const payload = JSON.stringify(event);
  const res = await fetch(`${apiUrl}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": stripeSignature(payload, secret) },
    body: payload,
  });
  if (res.status !== 200) throw new Error(`webhook ${type}: ${res.status} ${await res.text()}`);
}

/** A subscription of `workspaceId` to `price`, as Stripe describes it in its events. */
export function subscriptionObject(o: { id: string; customer: string; workspaceId: string; price: string; status: string }) {
  const start = Math.floor(Date.now() / 1000);
  return {
    id: o.id,
    object: "subscription",
    customer: o.customer,
    status: o.status,
    cancel_at_period_end: false,
    canceled_at: null,
    created: start,
    currency: "usd",
    livemode: false,
    metadata: { workspace_id: o.workspaceId },
    items: {
      object: "list",
      has_more: false,
      data: [
        {
          id: `si_${o.id.slice(4)}`,
          object: "subscription_item",
          subscription: o.id,
          quantity: 1,
          current_period_start: start,
          current_period_end: start + 30 * 86_400,
          price: { id: o.price, object: "price", active: true, currency: "usd", unit_amount: 4900, recurring: { interval: "month" } },
        },
      ],
    },
  };
}

/** A subscription id for a test. */
export const newSubscriptionId = () => `sub_dash${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** One request the fake Stripe API received. */
export interface FakeStripeRequest {
  method: string;
  path: string;
  body: Record<string, any>;
}

/** Everything the fake Stripe API at `stripeUrl` has received so far. */
export async function stripeRequests(stripeUrl: string): Promise<FakeStripeRequest[]> {
  return (await fetch(`${stripeUrl}/_test/requests`)).json() as Promise<FakeStripeRequest[]>;
}

/** The Stripe customer the workspace's first Checkout Session was opened for. */
export async function checkoutCustomer(stripeUrl: string, workspaceId: string): Promise<string> {
  const session = (await stripeRequests(stripeUrl)).find((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === workspaceId);
  if (!session) throw new Error(`no Checkout Session for ${workspaceId}`);
  return session.body.customer as string;
}

/** Adds `n` paid invoices (EDG-1000 newest) for `customer` to the fake Stripe API. */
export async function seedInvoices(stripeUrl: string, customer: string, n: number): Promise<void> {
  await fetch(`${stripeUrl}/_test/invoices`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ customer, invoices: Array.from({ length: n }, () => ({})) }),
  });
}
