import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Postgres reached through a Hyperdrive binding with a local connection string. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/test";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("schema/migrations/d1");
  return {
    test: {
      // Request logs only for failing tests: the output stays readable in CI.
      silent: "passed-only" as const,
      projects: [
        {
          plugins: [
            // A function so values provided by the global setups (the fake LLM server's URL) reach workerd.
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  JWT_SECRET: "test-secret-that-is-at-least-32-characters-long",
                  // Suites make hundreds of calls a minute with one key; the limiter's own tests read these.
                  RATE_LIMIT_BURST_PER_MINUTE: "100000",
                  RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "100000",
                  LLM_FAKE_URL: inject("llmFakeUrl"),
                  // Conversation-level provider tests: OpenAI always answers 429, Anthropic streams slowly.
                  OPENAI_API_KEY: "sk-test-openai",
                  OPENAI_BASE_URL: `${inject("llmFakeUrl")}/conversation-openai/429/v1`,
                  ANTHROPIC_API_KEY: "sk-ant-test",
                  ANTHROPIC_BASE_URL: `${inject("llmFakeUrl")}/conversation-anthropic/drip`,
                },
                hyperdrives: { TEST_HYPERDRIVE: TEST_POSTGRES_URL },
              },
            })),
          ],
          test: {
            name: "workers",
            include: ["workers/**/*.test.ts"],
            globalSetup: ["workers/test/global-setup.ts", "workers/test/llm-global-setup.ts"],
            setupFiles: ["workers/test/apply-migrations.ts"],
            testTimeout: 20_000,
            hookTimeout: 30_000,
          },
        },
        {
          // Browser and end-to-end tests, in Node, against the platform started like `npm start`.
          test: {
            name: "e2e",
            environment: "node",
            include: ["e2e/**/*.test.ts", "widget/**/*.e2e.test.ts", "dashboard/**/*.e2e.test.ts"],
            globalSetup: ["e2e/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 180_000,
            fileParallelism: false,
          },
        },
      ],
    },
  };
});
