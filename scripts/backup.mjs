#!/usr/bin/env node
/**
 * `npm run backup`: a dated copy of the platform's data in `backups/<time>-<local|remote>/`.
 *
 *   npm run backup                                      the local platform (.wrangler/state, npm start's)
 *   npm run backup -- --persist-to <state dir>          another local state folder
 *   npm run backup -- --remote --config wrangler.deploy.toml   a deployment (needs CLOUDFLARE_API_TOKEN
 *                                                       and CLOUDFLARE_ACCOUNT_ID)
 *   … --out <folder>                                    somewhere else than backups/
 *
 * A backup folder holds `schema.sql` (the D1 schema) and `d1.sql` (the rows of every D1 table,
 * `wrangler d1 export --no-schema`),
 * `manifest.json` (the migrations the rows belong to, and every R2 object's key, size, etag and
 * metadata) and, for a local platform, the R2 objects themselves (`r2/`) and the Durable
 * Objects' storage (`durable-objects/`: conversations and knowledge indexes). Stop the local
 * platform first for a consistent copy. A deployment's R2 objects and Durable Objects stay in
 * Cloudflare (R2 is replicated; D1 and SQLite-backed Durable Objects have 30-day point-in-time
 * recovery): see README "Backups and recovery". `npm run restore <folder>` brings a local
 * platform back from a backup.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { ROOT, runWrangler } from "../bench/_lib.mjs";
import {
  BACKUP_FORMAT,
  D1_FILE,
  describeDatabase,
  DO_DIR,
  MANIFEST_FILE,
  openLocalBucket,
  R2_DIR,
  readBindings,
  SCHEMA_FILE,
  withStateConfig,
} from "./lib/backup-store.mjs";
import { cloudflareApi, DEFAULT_API_BASE } from "./lib/cloudflare-api.mjs";

const DEFAULT_STATE_DIR = join(ROOT, ".wrangler", "state");
const R2_LIST_PAGE = 1000; // keys per page of the local bucket's list

/**
 * Backs up a local state folder into a new folder under `outDir`; resolves with that folder.
 * @param {{ stateDir: string, outDir: string, configPath?: string, log?: (line: string) => void }} options
 */
export async function backupLocal({ stateDir, outDir, configPath, log = () => {} }) {
  if (!existsSync(join(stateDir, "v3", "d1"))) throw new Error(`${stateDir} holds no local D1 database (v3/d1): nothing to back up`);
  const bindings = readBindings(configPath);
  const folder = newBackupFolder(outDir, "local");
  return withStateConfig(stateDir, bindings, async (config) => {
    log(`D1 → ${join(folder, D1_FILE)}`);
    const { schema, tables, migrations } = await describeDatabase(config, ["--local"]);
    writeFileSync(join(folder, SCHEMA_FILE), schema.join("\n") + "\n");
    await runWrangler(["d1", "export", "DB", "--local", "--config", config, "--no-schema", ...tables.flatMap((t) => ["--table", t]), "--output", join(folder, D1_FILE)]);

    log(`R2 bucket ${bindings.bucketName} → ${join(folder, R2_DIR)}`);
    mkdirSync(join(folder, R2_DIR));
    const objects = [];
    const { bucket, dispose } = await openLocalBucket(config, stateDir);
    try {
      let cursor;
      do {
        const page = await bucket.list({ limit: R2_LIST_PAGE, cursor, include: ["httpMetadata", "customMetadata"] });
        for (const listed of page.objects) {
          const object = await bucket.get(listed.key);
          if (!object) continue; // deleted meanwhile
          const file = `${R2_DIR}/${createHash("sha256").update(listed.key).digest("hex")}`;
          writeFileSync(join(folder, file), Buffer.from(await object.arrayBuffer()));
          objects.push({
            key: listed.key,
            size: listed.size,
            etag: listed.etag,
            uploaded: listed.uploaded.toISOString(),
            http_metadata: listed.httpMetadata ?? {},
            custom_metadata: listed.customMetadata ?? {},
            file,
          });
        }
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
    } finally {
      await dispose();
    }

    const doState = join(stateDir, "v3", "do");
    const hasDurableObjects = existsSync(doState);
    if (hasDurableObjects) {
      log(`Durable Objects → ${join(folder, DO_DIR)}`);
      cpSync(doState, join(folder, DO_DIR), { recursive: true });
    }
    writeManifest(folder, { source: "local", tables, migrations, bucket: bindings.bucketName, objects, objectsIncluded: true, durableObjects: hasDurableObjects });
    log(`done: ${tables.length} tables, ${objects.length} objects`);
    return folder;
  });
}

/**
 * Backs up a deployment: its D1 rows and its R2 manifest (not the objects).
 * @param {{ configPath: string, outDir: string, api: ReturnType<typeof cloudflareApi>, log?: (line: string) => void }} options
 */
export async function backupRemote({ configPath, outDir, api, log = () => {} }) {
  const bindings = readBindings(configPath);
  const folder = newBackupFolder(outDir, "remote");
  log(`D1 ${bindings.databaseName} → ${join(folder, D1_FILE)}`);
  const { schema, tables, migrations } = await describeDatabase(configPath, ["--remote"]);
  writeFileSync(join(folder, SCHEMA_FILE), schema.join("\n") + "\n");
  await runWrangler(["d1", "export", "DB", "--remote", "--config", configPath, "--no-schema", ...tables.flatMap((t) => ["--table", t]), "--output", join(folder, D1_FILE)]);
  log(`R2 bucket ${bindings.bucketName}: manifest`);
  const objects = (await api.listR2Objects(bindings.bucketName)).map((o) => ({
    key: o.key,
    size: o.size,
    etag: o.etag,
    uploaded: o.last_modified,
    http_metadata: o.http_metadata ?? {},
    custom_metadata: o.custom_metadata ?? {},
  }));
  writeManifest(folder, { source: "remote", tables, migrations, bucket: bindings.bucketName, objects, objectsIncluded: false, durableObjects: false });
  log(`done: ${tables.length} tables, ${objects.length} objects listed`);
  return folder;
}

function newBackupFolder(outDir, source) {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const folder = join(resolve(outDir), `${stamp}-${source}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function writeManifest(folder, { source, tables, migrations, bucket, objects, objectsIncluded, durableObjects }) {
  const manifest = {
    format: BACKUP_FORMAT,
    created_at: new Date().toISOString(),
    source,
    d1: { schema_file: SCHEMA_FILE, file: D1_FILE, tables, migrations },
    r2: { bucket, objects_included: objectsIncluded, objects },
    durable_objects: durableObjects ? DO_DIR : null,
  };
  writeFileSync(join(folder, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
}

async function main() {
  const { values } = parseArgs({
    options: {
      remote: { type: "boolean", default: false },
      local: { type: "boolean", default: false },
      "persist-to": { type: "string" },
      config: { type: "string" },
      out: { type: "string", default: join(ROOT, "backups") },
    },
  });
  const log = (line) => console.log(`[backup] ${line}`);
  let folder;
  if (values.remote) {
    if (!values.config) throw new Error("--remote needs --config <the deployment's wrangler configuration> (see scripts/deploy-config.mjs)");
    const api = cloudflareApi({
      apiToken: process.env.CLOUDFLARE_API_TOKEN ?? "",
      accountId: process.env.CLOUDFLARE_ACCOUNT_ID ?? "",
      apiBase: process.env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE,
    });
    folder = await backupRemote({ configPath: values.config, outDir: values.out, api, log });
  } else {
    folder = await backupLocal({ stateDir: resolve(values["persist-to"] ?? DEFAULT_STATE_DIR), outDir: values.out, configPath: values.config, log });
  }
  console.log(folder);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(`[backup] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
