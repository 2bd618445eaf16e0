import { defineConfig } from "drizzle-kit";

/**
 * Postgres migrations: `npm run db:generate`, applied by `npm run db:migrate:pg` (production,
 * against the database behind Hyperdrive) and by the tests' global setup.
 */
export default defineConfig({
  dialect: "postgresql",
  schema: "./schema/pg.ts",
  out: "./schema/migrations/pg",
});
