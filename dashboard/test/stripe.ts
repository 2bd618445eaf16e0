/**
 * Billing test helpers for the dashboard suites, over the Worker suites' Stripe fixtures
 * (`workers/test/stripe-fixtures.ts`): signed events delivered to a Worker, and the fake Stripe
 * API's test controls (`workers/test/fake-stripe-server.ts`).
 */
import { fakeStripeRequests, seedFakeInvoices, stripeEvent, stripeSignatureHeader } from "../../workers/test/stripe-fixtures";

export { newSubscriptionId, subscriptionObject } from "../../workers/test/stripe-fixtures";

/** Everything the fake Stripe API at a URL has received so far. */
export { fakeStripeRequests as stripeRequests } from "../../workers/test/stripe-fixtures";

/** Delivers a signed Stripe event to a Worker's `POST /webhooks/stripe`; throws unless accepted. */
export async function deliverStripeEvent(apiUrl: string, secret: string, type: string, object: Record<string, unknown>): Promise<void> {
  const payload = JSON.stringify(stripeEvent(type, object));
  const res = await fetch(`${apiUrl}/webhooks/stripe`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": stripeSignatureHeader(payload, secret) },
    body: payload,
  });
  if (res.status !== 200) throw new Error(`webhook ${type}: ${res.status} ${await res.text()}`);
}

/** The Stripe customer the workspace's first Checkout Session was opened for. */
export async function checkoutCustomer(stripeUrl: string, workspaceId: string): Promise<string> {
  const session = (await fakeStripeRequests(stripeUrl)).find((r) => r.path === "/v1/checkout/sessions" && r.body.client_reference_id === workspaceId);
  if (!session) throw new Error(`no Checkout Session for ${workspaceId}`);
  return session.body.customer as string;
}

/** Adds `n` paid invoices (EDG-1000 newest) for `customer` to the fake Stripe API. */
export async function seedInvoices(stripeUrl: string, customer: string, n: number): Promise<void> {
  await seedFakeInvoices(stripeUrl, customer, Array.from({ length: n }, () => ({})));
}
