import { applyD1Migrations, env } from "cloudflare:test";

// Runs before each test file. Files share their runtime's D1 (see fresh-runtime.ts), so this
// applies the migrations for the first file and finds them applied for every later one.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
