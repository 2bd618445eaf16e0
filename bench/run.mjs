#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench module in this folder, one after the other, and prints
 * each one's tables.
 *
 *   npm run bench                      all benches
 *   npm run bench -- bundle-size       only the named ones
 *   npm run bench -- --list            what there is
 *   npm run bench -- --json out.json   also write the results as JSON
 *
 * A bench is a file `bench/<name>.mjs` (helpers start with `_`) that exports a `description`
 * and a default `async function run(ctx)` returning one table or an array of tables
 * (`{title, columns, rows, notes?}`, see `_lib.mjs`). `ctx` gives `root` (the repository),
 * `tmpDir` (a fresh folder, removed afterwards) and `log` (progress on stderr, so stdout stays
 * the tables). Adding a file is all it takes to add a bench.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { formatTable, ROOT } from "./_lib.mjs";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));

function discover() {
  return readdirSync(BENCH_DIR)
    .filter((file) => file.endsWith(".mjs") && !file.startsWith("_") && file !== basename(fileURLToPath(import.meta.url)))
    .sort()
    .map((file) => ({ name: file.replace(/\.mjs$/, ""), path: join(BENCH_DIR, file) }));
}

function parseArgs(argv) {
  const options = { names: [], list: false, json: null };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--list") options.list = true;
    else if (arg === "--json") options.json = argv[++i] ?? "bench-results.json";
    else if (arg.startsWith("--json=")) options.json = arg.slice("--json=".length);
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else options.names.push(arg.replace(/\.mjs$/, ""));
  }
  return options;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const all = discover();
  if (options.list) {
    for (const bench of all) {
      const { description = "" } = await import(pathToFileURL(bench.path).href);
      console.log(`${bench.name.padEnd(20)} ${description}`);
    }
    return 0;
  }
  const unknown = options.names.filter((name) => !all.some((b) => b.name === name));
  if (unknown.length > 0) throw new Error(`no bench named ${unknown.join(", ")} (try --list)`);
  const selected = options.names.length > 0 ? all.filter((b) => options.names.includes(b.name)) : all;

  console.log(`# EdgeDesk benchmarks (${new Date().toISOString()}, node ${process.version})\n`);
  const results = [];
  let failures = 0;
  for (const bench of selected) {
    const tmpDir = mkdtempSync(join(tmpdir(), `edgedesk-bench-${bench.name}-`));
    const started = performance.now();
    const log = (message) => console.error(`[bench:${bench.name}] ${message}`);
    try {
      const mod = await import(pathToFileURL(bench.path).href);
      if (typeof mod.default !== "function") throw new Error("has no default export `run(ctx)`");
      log(mod.description ?? "running");
      const output = await mod.default({ root: ROOT, tmpDir, log });
      const tables = Array.isArray(output) ? output : [output];
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`## ${bench.name} (${seconds} s)\n`);
      for (const table of tables) console.log(`${formatTable(table)}\n`);
      results.push({ bench: bench.name, ok: true, seconds: Number(seconds), tables });
    } catch (err) {
      failures++;
      const message = err instanceof Error ? err.message : String(err);
      console.log(`## ${bench.name}: FAILED\n\n${message}\n`);
      results.push({ bench: bench.name, ok: false, error: message });
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  if (options.json) {
    const meta = { date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}` };
    writeFileSync(options.json, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
    console.error(`[bench] wrote ${options.json}`);
  }
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`[bench] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
