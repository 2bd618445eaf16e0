import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** Postgres reached through a Hyperdrive binding with a local connection string. */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/test";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("schema/migrations/d1");
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            JWT_SECRET: "test-secret-that-is-at-least-32-characters-long",
          },
          hyperdrives: { TEST_HYPERDRIVE: TEST_POSTGRES_URL },
        },
      }),
    ],
    test: {
      include: ["workers/**/*.test.ts"],
      setupFiles: ["workers/test/apply-migrations.ts"],
      testTimeout: 20_000,
      hookTimeout: 30_000,
    },
  };
});
