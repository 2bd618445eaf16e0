import { defineConfig } from "drizzle-kit";

/** D1 migrations: `npm run db:generate`, applied by `wrangler d1 migrations apply` and the tests. */
export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/d1.ts",
  out: "./schema/migrations/d1",
});
