#!/usr/bin/env node
/**
 * `npm run restore -- <backup folder> [--persist-to <state dir>]`: brings a local platform back
 * from a backup made by `npm run backup` into a fresh state folder (`.wrangler/state` by
 * default, which must not hold a database yet): the D1 schema as it was (migrations table
 * included), then the backed-up rows (the knowledge base's keyword index refills from them), the R2 objects with
 * their metadata (each checked against its etag), and the Durable Objects' storage. Start the
 * platform on that folder afterwards (`npm start`, or `wrangler dev --persist-to <dir>`).
 * Production data is restored in place with D1 Time Travel instead: see README "Backups and recovery".
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ROOT, runWrangler } from "../bench/_lib.mjs";
import { BACKUP_FORMAT, MANIFEST_FILE, openLocalBucket, readBindings, withStateConfig } from "./lib/backup-store.mjs";

const DEFAULT_STATE_DIR = join(ROOT, ".wrangler", "state");

/**
 * Restores `folder` into the fresh local state folder `stateDir`; resolves with what was restored.
 * @param {{ folder: string, stateDir: string, configPath?: string, log?: (line: string) => void }} options
 */
export async function restoreLocal({ folder, stateDir, configPath, log = () => {} }) {
  const manifest = JSON.parse(readFileSync(join(folder, MANIFEST_FILE), "utf8"));
  if (manifest.format !== BACKUP_FORMAT) throw new Error(`${folder}: backup format ${manifest.format}, this script reads ${BACKUP_FORMAT}`);
  const d1Dir = join(stateDir, "v3", "d1");
  if (existsSync(d1Dir) && readdirSync(d1Dir).length > 0) throw new Error(`${stateDir} already holds a D1 database: restore into a fresh folder`);
  if (manifest.r2.objects.length > 0 && !manifest.r2.objects_included) {
    throw new Error(`${folder} lists R2 objects but does not hold them (a deployment's backup): copy them from the bucket first`);
  }
  const bindings = readBindings(configPath);
  const migrationsDir = join(ROOT, "schema", "migrations", "d1");
  const known = new Set(readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")));
  const unknown = manifest.d1.migrations.filter((m) => !known.has(m));
  if (unknown.length > 0) throw new Error(`the backup's database had migrations this checkout lacks (${unknown.join(", ")}): restore with the code it came from`);

  log(`D1: the schema, then the rows of ${manifest.d1.tables.length} tables (${manifest.d1.migrations.length} migrations applied)`);
  const sqlDir = mkdtempSync(join(tmpdir(), "edgedesk-restore-"));
  try {
    const sqlFile = join(sqlDir, "restore.sql");
    // One file, one Wrangler run: foreign keys are checked at the end, once every row is in.
    writeFileSync(sqlFile, ["PRAGMA defer_foreign_keys=TRUE;", readFileSync(join(folder, manifest.d1.schema_file), "utf8"), readFileSync(join(folder, manifest.d1.file), "utf8")].join("\n"));
    await runWrangler(["d1", "execute", "DB", "--local", "--persist-to", stateDir, "--config", bindings.configPath, "--yes", "--file", sqlFile]);
  } finally {
    rmSync(sqlDir, { recursive: true, force: true });
  }

  log(`R2: ${manifest.r2.objects.length} objects into ${bindings.bucketName}`);
  await withStateConfig(stateDir, bindings, async (config) => {
    const { bucket, dispose } = await openLocalBucket(config, stateDir);
    try {
      for (const entry of manifest.r2.objects) {
        const bytes = readFileSync(join(folder, entry.file));
        const stored = await bucket.put(entry.key, bytes, { httpMetadata: entry.http_metadata, customMetadata: entry.custom_metadata });
        if (stored.size !== entry.size || stored.etag !== entry.etag) {
          throw new Error(`R2 object ${entry.key}: restored ${stored.size} bytes with etag ${stored.etag}, the backup says ${entry.size} bytes, etag ${entry.etag}`);
        }
      }
    } finally {
      await dispose();
    }
  });

  if (manifest.durable_objects) {
    log("Durable Objects: storage copied back");
    cpSync(join(folder, manifest.durable_objects), join(stateDir, "v3", "do"), { recursive: true });
  }
  log(`done: start the platform on ${stateDir}`);
  return { tables: manifest.d1.tables.length, objects: manifest.r2.objects.length, durableObjects: Boolean(manifest.durable_objects) };
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { "persist-to": { type: "string" }, config: { type: "string" } } });
  if (positionals.length !== 1) {
    console.error("usage: npm run restore -- <backup folder> [--persist-to <fresh state dir>]");
    return 2;
  }
  await restoreLocal({
    folder: resolve(positionals[0]),
    stateDir: resolve(values["persist-to"] ?? DEFAULT_STATE_DIR),
    configPath: values.config,
    log: (line) => console.log(`[restore] ${line}`),
  });
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[restore] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
