/**
 * The test Postgres, reached from workerd through the `TEST_HYPERDRIVE` binding and migrated by
 * the global setup. A module of its own so the setup does not load vitest.config.ts (and with it
 * the whole Workers test plugin) just to read one string.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres:postgres@127.0.0.1:5432/test";
