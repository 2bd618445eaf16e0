import { applyD1Migrations, env } from "cloudflare:test";

// Runs before each test file, in its isolated storage: idempotent, so re-runs are cheap.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
