import type { TestProject } from "vitest/node";
import { startFakeProvidersServer } from "./fake-providers-server";

/**
 * Starts the fake Slack/Twilio/SendGrid/Zendesk server in Node before the tests and stops it
 * after. Its URL is provided as `providersFakeUrl`; vitest.config.ts hands it to workerd as the
 * `PROVIDERS_FAKE_URL` binding.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startFakeProvidersServer();
  project.provide("providersFakeUrl", server.url);
  return () => server.close();
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake provider server (`http://127.0.0.1:<port>`). */
    providersFakeUrl: string;
  }
}

declare global {
  namespace Cloudflare {
    interface Env {
      /** Base URL of the fake Slack/Twilio/SendGrid/Zendesk server, for the channel tests. */
      PROVIDERS_FAKE_URL: string;
    }
  }
}
