/**
 * Vitest global setup of the Worker tests (runs once, in Node, before any workerd test): brings
 * the test Postgres up to the current analytics schema and starts the local stand-ins for the
 * services the Worker calls, all at once. Their URLs are provided to vitest.config.ts, which
 * hands them to workerd as bindings.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { startFakeActionsServer } from "./fake-actions-server";
import { startFakeHubSpot } from "./fake-hubspot-server";
import { startFakeLlmServer } from "./fake-llm-server";
import { startFakeOidcServer } from "./fake-oidc-server";
import { startFakeNotion } from "./fake-notion-server";
import { startFakeOpsServer } from "./fake-ops-server";
import { startFakeProvidersServer } from "./fake-providers-server";
import { startFakeSite } from "./fake-site-server";
import { startFakeStripe } from "./fake-stripe-server";
import { TEST_POSTGRES_URL } from "./postgres-url";

const MIGRATOR = fileURLToPath(new URL("../../scripts/migrate-pg.mjs", import.meta.url));

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake OpenAI/Anthropic server (`http://127.0.0.1:<port>`). */
    llmFakeUrl: string;
    /** Base URL of the fake help-center website the crawler tests import pages from. */
    siteUrl: string;
    /** Base URL of the fake Slack/Twilio/SendGrid/Zendesk server. */
    providersFakeUrl: string;
    /** Base URL of the fake Stripe API. */
    stripeUrl: string;
    /** Base URL of the fake business services (an order API and an MCP server) actions call. */
    actionsFakeUrl: string;
    /** Base URL of the fake HubSpot CRM API. */
    hubspotFakeUrl: string;
    /** Issuer URL of the local OpenID provider (and its misbehaving twins under `/rogue/<mode>`). */
    oidcFakeUrl: string;
    /** Base URL of the fake Notion API. */
    notionFakeUrl: string;
    /** Base URL of the fake alert receivers, model list and Analytics Engine SQL API. */
    opsFakeUrl: string;
  }
}

declare global {
  namespace Cloudflare {
    interface Env {
      /** Base URL of the fake LLM server, for the `llm/` tests. */
      LLM_FAKE_URL: string;
      /** Base URL of the fake website the crawler tests import pages from. */
      SITE_URL: string;
      /** Base URL of the fake Slack/Twilio/SendGrid/Zendesk server, for the channel tests. */
      PROVIDERS_FAKE_URL: string;
      /** Base URL of the fake business services actions call, for the actions tests. */
      ACTIONS_FAKE_URL: string;
      /** Base URL of the fake HubSpot CRM API, for the CRM tests. */
      HUBSPOT_FAKE_URL: string;
      /** Issuer URL of the local OpenID provider, for the single sign-on tests. */
      OIDC_FAKE_URL: string;
      /** Base URL of the fake Notion API, for the Notion source tests. */
      NOTION_FAKE_URL: string;
      /** Base URL of the fake alert receivers, model list and Analytics Engine SQL API, for the metrics tests. */
      OPS_FAKE_URL: string;
    }
  }
}

/** Applies the Postgres migrations (the production migrator, idempotent); fails with a hint when Postgres is unreachable. */
async function migratePostgres(): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [MIGRATOR, TEST_POSTGRES_URL]);
  } catch (err) {
    const stderr = err instanceof Error && "stderr" in err ? String(err.stderr) : String(err);
    throw new Error(
      `could not migrate the test Postgres (${stderr.trim()}). Is it running? ` +
        "Start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.",
    );
  }
}

/** Migrates Postgres and starts the fake servers; the returned teardown stops them. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const starting = [startFakeLlmServer(), startFakeSite(), startFakeProvidersServer(), startFakeStripe(), startFakeActionsServer(), startFakeHubSpot(), startFakeOidcServer(), startFakeNotion(), startFakeOpsServer()] as const;
  const [migrated, ...started] = await Promise.allSettled([migratePostgres(), ...starting]);
  const running = started.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const stop = async () => void (await Promise.all(running.map((server) => server.close())));
  const failed = [migrated, ...started].find((s) => s.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [llm, site, providers, stripe, actions, hubspot, oidc, notion, ops] = await Promise.all(starting);
  project.provide("llmFakeUrl", llm.url);
  project.provide("siteUrl", site.url);
  project.provide("providersFakeUrl", providers.url);
  project.provide("stripeUrl", stripe.url);
  project.provide("actionsFakeUrl", actions.url);
  project.provide("hubspotFakeUrl", hubspot.url);
  project.provide("oidcFakeUrl", oidc.url);
  project.provide("notionFakeUrl", notion.url);
  project.provide("opsFakeUrl", ops.url);
  return stop;
}
