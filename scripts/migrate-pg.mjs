#!/usr/bin/env node
/**
 * Applies the Postgres migrations (schema/migrations/pg) to the analytics database.
 *
 *   npm run db:migrate:pg -- postgres://user:pass@host:5432/db
 *   DATABASE_URL=postgres://… npm run db:migrate:pg
 *
 * Used for production (the database behind Hyperdrive) and by the tests' global setup.
 * Idempotent: applied migrations are recorded in drizzle.__drizzle_migrations, and a session
 * advisory lock lets several runs start at once without racing on the same CREATE TABLE.
 */
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** Folder of the generated SQL files and their journal, found from this file, not the cwd. */
export const PG_MIGRATIONS_FOLDER = fileURLToPath(new URL("../schema/migrations/pg", import.meta.url));

/** Arbitrary constant key for pg_advisory_lock; only this script takes it. */
const MIGRATION_LOCK_KEY = 727_001_001;

/**
 * Applies every pending migration to the database at `url`.
 * @param {string} url Postgres connection string.
 * @returns {Promise<void>}
 */
export async function migratePostgres(url) {
  // One connection: the advisory lock is held by the session that runs the migrations.
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await migrate(drizzle(client), { migrationsFolder: PG_MIGRATIONS_FOLDER });
    } finally {
      await client`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  } finally {
    await client.end();
  }
}

/** Hides the password when echoing a connection string. */
function redactUrl(url) {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable url)";
  }
}

const runDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (runDirectly) {
  const url = process.argv[2] ?? process.env.DATABASE_URL;
  if (!url) {
    console.error("usage: migrate-pg.mjs <postgres-url>   (or set DATABASE_URL)");
    process.exit(2);
  }
  try {
    await migratePostgres(url);
    console.log(`postgres migrations applied to ${redactUrl(url)}`);
  } catch (err) {
    console.error(`postgres migrations failed for ${redactUrl(url)}:`, err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
