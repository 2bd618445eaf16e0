import type { TestProject } from "vitest/node";
import { startFakeStripe } from "./fake-stripe-server";

/**
 * Starts the fake Stripe API in Node before the tests and stops it after. Its URL is provided
 * as `stripeUrl`; vitest.config.ts hands it to workerd as the `STRIPE_API_BASE` binding.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stripe = await startFakeStripe();
  project.provide("stripeUrl", stripe.url);
  return () => stripe.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake Stripe API (`http://127.0.0.1:<port>`). */
    stripeUrl: string;
  }
}
