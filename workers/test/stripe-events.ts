/**
 * The Worker suites' billing helpers: Stripe objects only they send, and signed deliveries to
 * the Worker under test, with the suites' webhook secret and fake Stripe API by default.
 */
import { env } from "cloudflare:test";
import { call } from "./helpers";
import { fakeStripeRequests, nowS, rid, seedFakeInvoices, stripeSignatureHeader } from "./stripe-fixtures";

/** The Stripe key the billing suites switch billing on with (the fake accepts any `sk_test_`). */
export const TEST_STRIPE_KEY = "sk_test_edgedeskFakeStripeKey0123456789";

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

/** A `Stripe-Signature` header for `payload`, signed with the suites' webhook secret unless told otherwise. */
export function signatureFor(payload: string, opts: { secret?: string; timestamp?: number } = {}): string {
  return stripeSignatureHeader(payload, opts.secret ?? env.STRIPE_WEBHOOK_SECRET!, opts.timestamp);
}

/** Delivers `event` to `POST /webhooks/stripe`, signed unless `signature` is given. */
export function deliver(event: unknown, opts: { signature?: string | null; secret?: string; timestamp?: number; rawBody?: string } = {}) {
  const payload = opts.rawBody ?? JSON.stringify(event);
  const headers: Record<string, string> = { "content-type": "application/json" };
  const signature = opts.signature === undefined ? signatureFor(payload, opts) : opts.signature;
  if (signature !== null) headers["stripe-signature"] = signature;
  return call("POST", "/webhooks/stripe", { rawBody: payload, headers });
}

/** What the fake Stripe API has received so far. */
export function stripeRequests() {
  return fakeStripeRequests(env.STRIPE_API_BASE!);
}

/** Adds invoices for `customer` to the fake Stripe API. */
export function seedInvoices(customer: string, invoices: Record<string, unknown>[]): Promise<string[]> {
  return seedFakeInvoices(env.STRIPE_API_BASE!, customer, invoices);
}
