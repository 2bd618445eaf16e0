/**
 * What `npm run backup` and `npm run restore` share: the bindings named in a Wrangler
 * configuration, the D1 tables worth exporting, a throwaway configuration that points Wrangler
 * at a given local state folder, and the local R2 bucket of such a folder.
 *
 * D1's export refuses databases with virtual tables, and the keyword index of the knowledge base
 * is one (FTS5). So a backup holds the schema as `sqlite_schema` states it (`schema.sql`) and
 * the rows of every ordinary table (`d1.sql`, `wrangler d1 export --no-schema`), and a restore
 * runs both: the keyword index's triggers come before the rows, so the restored chunks fill the
 * index again as they are inserted.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { getPlatformProxy, unstable_readConfig } from "wrangler";
import { ROOT, runWrangler } from "../../bench/_lib.mjs";

/** The layout version of a backup folder, in its manifest. */
export const BACKUP_FORMAT = 1;
export const MANIFEST_FILE = "manifest.json";
export const D1_FILE = "d1.sql";
export const SCHEMA_FILE = "schema.sql";
export const R2_DIR = "r2";
export const DO_DIR = "durable-objects";

/** What D1 and SQLite keep for themselves. */
const SKIPPED_NAME = /^(_cf_|sqlite_)/;

/**
 * The D1 database and R2 bucket of a Wrangler configuration (`wrangler.toml`, or a deployment's
 * generated one).
 */
export function readBindings(configPath = join(ROOT, "wrangler.toml")) {
  const config = unstable_readConfig({ config: resolve(configPath) });
  const db = config.d1_databases.find((d) => d.binding === "DB");
  const bucket = config.r2_buckets.find((b) => b.binding === "FILES");
  if (!db || !bucket) throw new Error(`${configPath} has no DB database or FILES bucket`);
  return { configPath: resolve(configPath), databaseName: db.database_name, databaseId: db.database_id, bucketName: bucket.bucket_name };
}

/**
 * Runs `fn(configPath)` with a Wrangler configuration that holds only the DB and FILES bindings
 * and whose default local state (`.wrangler/state` beside it) is `stateDir`: `wrangler d1
 * export --local` has no `--persist-to` and always reads that default.
 */
export async function withStateConfig(stateDir, bindings, fn) {
  const dir = mkdtempSync(join(tmpdir(), "edgedesk-state-config-"));
  try {
    mkdirSync(join(dir, ".wrangler"));
    symlinkSync(resolve(stateDir), join(dir, ".wrangler", "state"), "dir");
    const configPath = join(dir, "wrangler.toml");
    writeFileSync(
      configPath,
      [
        `name = "edgedesk-backup"`,
        `compatibility_date = "2026-11-01"`,
        `[[d1_databases]]`,
        `binding = "DB"`,
        `database_name = ${JSON.stringify(bindings.databaseName)}`,
        `database_id = ${JSON.stringify(bindings.databaseId)}`,
        `[[r2_buckets]]`,
        `binding = "FILES"`,
        `bucket_name = ${JSON.stringify(bindings.bucketName)}`,
        "",
      ].join("\n"),
    );
    return await fn(configPath);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What a backup of the DB database (`where`: `["--local"]` or `["--remote"]`) holds: `schema`,
 * the statements that rebuild its tables (the keyword index's virtual table included, not its
 * shadow tables), indexes, views and triggers, in that order; `tables`, those whose rows are
 * exported (not virtual or shadow tables, not D1's own); and `migrations`, the migrations
 * recorded in it, oldest first. One Wrangler call for all three.
 */
export async function describeDatabase(configPath, where) {
  const output = await runWrangler(
    [
      "d1", "execute", "DB", ...where, "--config", configPath, "--json", "--command",
      "SELECT type, name, sql FROM sqlite_schema WHERE sql NOT NULL ORDER BY rowid; SELECT name FROM d1_migrations ORDER BY id",
    ],
    { env: { CI: "true" } },
  );
  const [schemaRows, migrationRows] = JSON.parse(output.slice(output.indexOf("[")));
  const rows = (schemaRows?.results ?? []).filter((r) => !SKIPPED_NAME.test(r.name));
  const virtual = rows.filter((r) => r.type === "table" && /^CREATE VIRTUAL TABLE/i.test(r.sql)).map((r) => r.name);
  const shadow = (name) => virtual.some((v) => name.startsWith(`${v}_`));
  const kept = rows.filter((r) => !shadow(r.name));
  const schema = SCHEMA_ORDER.flatMap((type) => kept.filter((r) => r.type === type).map((r) => `${r.sql};`));
  return {
    schema,
    tables: kept.filter((r) => r.type === "table" && !virtual.includes(r.name)).map((r) => r.name),
    migrations: (migrationRows?.results ?? []).map((r) => r.name),
  };
}

/** Tables first, then what refers to them; triggers last, so restored rows fill the keyword index. */
const SCHEMA_ORDER = ["table", "index", "view", "trigger"];

/**
 * Opens the FILES bucket of the local state in `stateDir` (through the configuration made by
 * `withStateConfig`); call `dispose()` when done.
 */
export async function openLocalBucket(configPath, stateDir) {
  const proxy = await getPlatformProxy({ configPath, persist: { path: join(resolve(stateDir), "v3") } });
  return { bucket: /** @type {R2Bucket} */ (proxy.env.FILES), dispose: () => proxy.dispose() };
}
