import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import { unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";
import { freshRuntimeFor } from "./workers/test/fresh-runtime";
import { TEST_POSTGRES_URL } from "./workers/test/postgres-url";
import RunOrder from "./vitest.sequencer";

/**
 * Test files run at once, across all projects: one more than the cores (3 on the 2-core machine
 * the suite is tuned on), which keeps them busy while files wait on sockets, queues and the
 * browser. `--maxWorkers` overrides it.
 */
const TEST_SLOTS = availableParallelism() + 1;

/**
 * wrangler.toml's queue consumers, delivering at once: production batches for up to a few
 * seconds, which in the tests only adds a wait to every queue hop (ingestion, crawling, channels).
 */
function immediateQueueConsumers() {
  const consumers: QueueConsumerConfig[] = unstable_readConfig({ config: "wrangler.toml" }).queues.consumers ?? [];
  return Object.fromEntries(
    consumers.map((c) => [
      c.queue,
      { maxBatchSize: c.max_batch_size, maxBatchTimeout: 0, maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue, retryDelay: c.retry_delay },
    ]),
  );
}

/** A `[[queues.consumers]]` entry of wrangler.toml. */
interface QueueConsumerConfig {
  queue: string;
  max_batch_size?: number;
  max_retries?: number;
  dead_letter_queue?: string;
  retry_delay?: number;
}

/** Secrets generated once per test run (never fixed strings): the Worker has no stand-ins for them. */
const RUN_JWT_SECRET = randomBytes(48).toString("base64url");
const RUN_ENCRYPTION_KEYS = `k1:${randomBytes(32).toString("base64")}`;

export default defineConfig(async () => {
  const migrations = await readD1Migrations("schema/migrations/d1");
  const queueConsumers = immediateQueueConsumers();
  return {
    test: {
      // Request logs only for failing tests: the output stays readable in CI.
      silent: "passed-only" as const,
      // A log line a Durable Object writes after its test file ended (a timer, a queue job still
      // finishing) cannot reach the closed file's reporter: that transport error is not a test's
      // failure. Every other unhandled error still fails the run.
      onUnhandledError: (error: { name?: string; message?: string }) =>
        !(error.name === "EnvironmentTeardownError" && /Closing rpc while "onUserConsoleLog" was pending/.test(error.message ?? "")),
      reporters: ["default", "./e2e/summary-reporter.ts"],
      maxWorkers: TEST_SLOTS,
      sequence: { sequencer: RunOrder },
      projects: [
        {
          plugins: [
            // A function so values provided by the global setups (the fake LLM server's and website's URLs) reach workerd.
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  JWT_SECRET: RUN_JWT_SECRET,
                  ENCRYPTION_KEYS: RUN_ENCRYPTION_KEYS,
                  // Suites sign up and in hundreds of times from one (absent) client address;
                  // security-auth.test.ts runs the real limits itself.
                  AUTH_RATE_LIMIT_PER_MINUTE: "off",
                  // Suites make hundreds of calls a minute with one key; the limiter's own tests read these.
                  RATE_LIMIT_BURST_PER_MINUTE: "100000",
                  RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "100000",
                  LLM_FAKE_URL: inject("llmFakeUrl"),
                  SITE_URL: inject("siteUrl"),
                  // Slack, Twilio, SendGrid and Zendesk stand-ins for the channel tests.
                  PROVIDERS_FAKE_URL: inject("providersFakeUrl"),
                  // A business's order API and MCP server, for the actions tests.
                  ACTIONS_FAKE_URL: inject("actionsFakeUrl"),
                  // HubSpot's CRM API, for the CRM tests.
                  HUBSPOT_FAKE_URL: inject("hubspotFakeUrl"),
                  // The OpenID provider the single sign-on tests sign in at.
                  OIDC_FAKE_URL: inject("oidcFakeUrl"),
                  // The Notion API, for the Notion source tests.
                  NOTION_FAKE_URL: inject("notionFakeUrl"),
                  // Alert receivers, a model list and the Analytics Engine SQL API, for the metrics tests.
                  OPS_FAKE_URL: inject("opsFakeUrl"),
                  // Confirmations of changing actions time out in seconds, not the production minute.
                  ACTION_CONFIRM_TIMEOUT_MS: "3000",
                  // Billing: the fake Stripe API and test prices. STRIPE_SECRET_KEY, which switches plan
                  // limits on, is set by the billing tests themselves so other suites run unlimited.
                  STRIPE_API_BASE: inject("stripeUrl"),
                  // Tenant URLs must be public; these local stand-ins (and the closed port the ingestion
                  // retry test points at) are let through as exact host:port pairs. Never in production.
                  ALLOW_PRIVATE_FETCH: [inject("llmFakeUrl"), inject("siteUrl"), inject("providersFakeUrl"), inject("stripeUrl"), inject("actionsFakeUrl"), inject("hubspotFakeUrl"), inject("oidcFakeUrl"), inject("notionFakeUrl"), "http://127.0.0.1:9"]
                    .map((u) => new URL(u).host)
                    .join(","),
                  STRIPE_WEBHOOK_SECRET: "whsec_test_edgedesk_webhook_secret",
                  STRIPE_PRICE_PRO: "price_test_pro",
                  STRIPE_PRICE_ENTERPRISE: "price_test_enterprise",
                  // The models those provider tests name, besides the deployment's default allow-list.
                  ALLOWED_MODELS: "extractive,openai:gpt-4o-mini,anthropic:claude-3-5-haiku-latest,openai:gpt-test,anthropic:claude-test",
                  // Conversation-level provider tests: OpenAI always answers 429, Anthropic streams slowly.
                  OPENAI_API_KEY: "sk-test-openai",
                  OPENAI_BASE_URL: `${inject("llmFakeUrl")}/conversation-openai/429/v1`,
                  ANTHROPIC_API_KEY: "sk-ant-test",
                  ANTHROPIC_BASE_URL: `${inject("llmFakeUrl")}/conversation-anthropic/drip`,
                },
                hyperdrives: { TEST_HYPERDRIVE: TEST_POSTGRES_URL },
                queueConsumers,
              },
            })),
            freshRuntimeFor(),
          ],
          test: {
            name: "workers",
            include: ["workers/**/*.test.ts"],
            // One runtime per slot, reused file after file: importing the Worker into a fresh one
            // costs seconds. Files that need storage of their own get one (fresh-runtime.ts).
            isolate: false,
            globalSetup: ["workers/test/global-setup.ts"],
            setupFiles: ["workers/test/apply-migrations.ts"],
            testTimeout: 20_000,
            hookTimeout: 30_000,
          },
        },
        {
          // Browser and end-to-end tests, in Node, against the platform started like `npm start`
          // (e2e/platform.ts, shared with the dashboard project).
          test: {
            name: "e2e",
            environment: "node",
            include: ["e2e/**/*.test.ts", "widget/**/*.e2e.test.ts", "dashboard/**/*.e2e.test.ts"],
            globalSetup: ["e2e/global-setup.ts"],
            setupFiles: ["e2e/wait-for-platform.ts"],
            // Some tests visit every dashboard page, which takes over a minute when the machine is
            // busy; `expect.poll` waits on the browser and the platform, never on a timer of its own.
            testTimeout: 120_000,
            hookTimeout: 180_000,
            expect: { poll: { timeout: 10_000 } },
          },
        },
        {
          // The dashboard's loaders and actions, run in Node against a local Worker API.
          test: {
            name: "dashboard",
            environment: "node",
            include: ["dashboard/**/*.test.ts"],
            exclude: ["dashboard/**/*.e2e.test.ts", "**/node_modules/**"],
            globalSetup: ["dashboard/test/global-setup.ts"],
            setupFiles: ["e2e/wait-for-platform.ts"],
            testTimeout: 30_000,
            hookTimeout: 180_000,
          },
        },
        {
          // The deploy and backup scripts (scripts/), in Node, against local stand-ins for the
          // Cloudflare API and a Worker of their own; no shared platform.
          test: {
            name: "scripts",
            environment: "node",
            include: ["scripts/**/*.test.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
          },
        },
        {
          // The widget's components and protocol client, in a simulated DOM (happy-dom).
          esbuild: { jsx: "automatic" as const, jsxImportSource: "preact" },
          define: { __WIDGET_VERSION__: JSON.stringify("test") },
          test: {
            name: "widget",
            environment: "happy-dom",
            include: ["widget/src/**/*.test.{ts,tsx}"],
          },
        },
      ],
    },
  };
});
