import type { TestProject } from "vitest/node";
import { startLocalServer, type LocalServer } from "../../e2e/local-server";
import { startFakeStripe } from "../../workers/test/fake-stripe-server";

/** The Stripe settings of the second Worker, the one with billing on (the fake accepts any `sk_test_` key). */
export const BILLING_VARS = {
  STRIPE_SECRET_KEY: "sk_test_edgedeskDashboardBilling0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_test_edgedesk_dashboard_webhooks",
  STRIPE_PRICE_PRO: "price_test_pro",
  STRIPE_PRICE_ENTERPRISE: "price_test_enterprise",
};

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local Worker (API, widget, demo page); billing is not configured on it. */
    apiUrl: string;
    /** Base URL of a second local Worker with billing on, talking to the fake Stripe API. */
    billingApiUrl: string;
    /** Base URL of the fake Stripe API the billing Worker calls. */
    fakeStripeUrl: string;
  }
}

/**
 * The loader and action tests call the real API: one local Worker for the whole run, as a
 * self-hosted install without Stripe runs, and one with billing on for the billing page.
 */
export default async function setup(project: TestProject) {
  const stripe = await startFakeStripe();
  const started = await Promise.allSettled([startLocalServer(), startLocalServer({ ...BILLING_VARS, STRIPE_API_BASE: stripe.url })]);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) {
    await Promise.all(started.map((s) => (s.status === "fulfilled" ? s.value.stop() : Promise.resolve())));
    await stripe.close();
    throw failed.reason;
  }
  const [server, billed] = started.map((s) => (s as PromiseFulfilledResult<LocalServer>).value) as [LocalServer, LocalServer];
  project.provide("apiUrl", server.url);
  project.provide("billingApiUrl", billed.url);
  project.provide("fakeStripeUrl", stripe.url);
  return async () => {
    await Promise.all([server.stop(), billed.stop()]);
    await stripe.close();
  };
}
