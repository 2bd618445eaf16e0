/**
 * The Worker bundle's size, as `wrangler deploy` would upload it: raw and gzipped, as
 * configured and minified, and which packages take the most room.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { kib, runWrangler } from "./_lib.mjs";

export const description = "Worker bundle size from `wrangler deploy --dry-run` (raw and gzip, KiB)";

const GZIP_LEVEL = 9; // best case; wrangler's own figure (zlib's default level 6) is shown beside it
const FREE_PLAN_LIMIT_KIB = 3 * 1024; // Workers Free: 3 MiB after compression
const PAID_PLAN_LIMIT_KIB = 10 * 1024; // Workers Paid: 10 MiB after compression
const TOP_CONTRIBUTORS = 8;

/** @param {{ tmpDir: string }} ctx */
export default async function run({ tmpDir }) {
  const variants = [
    { name: "as deployed (wrangler.toml)", flags: [] },
    { name: "with --minify", flags: ["--minify"] },
  ];
  const rows = [];
  let contributors = null;
  for (const variant of variants) {
    const outdir = join(tmpDir, variant.flags.length ? "minified" : "default");
    const output = await runWrangler(["deploy", "--dry-run", "--outdir", outdir, "--metafile", ...variant.flags]);
    const modules = readdirSync(outdir).filter((f) => /\.(m?js|wasm|bin|txt|html|sql)$/.test(f));
    let raw = 0;
    let gzip = 0;
    for (const file of modules) {
      const bytes = readFileSync(join(outdir, file));
      raw += bytes.length;
      gzip += gzipSync(bytes, { level: GZIP_LEVEL }).length;
    }
    const reported = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output);
    rows.push([
      variant.name,
      modules.length,
      kib(raw),
      kib(gzip),
      reported ? `${reported[1]} / ${reported[2]}` : "n/a",
      `${((gzip / 1024 / FREE_PLAN_LIMIT_KIB) * 100).toFixed(1)}%`,
    ]);
    contributors ??= largestContributors(join(outdir, "bundle-meta.json"));
  }
  return [
    {
      title: "Worker bundle",
      columns: ["bundle", "modules", "raw KiB", "gzip KiB", "wrangler's raw / gzip KiB", "of 3 MiB free limit"],
      rows,
      notes: [
        `Limits after compression: ${FREE_PLAN_LIMIT_KIB / 1024} MiB (Workers Free), ${PAID_PLAN_LIMIT_KIB / 1024} MiB (Workers Paid). Source maps are not counted.`,
      ],
    },
    {
      title: "Largest contributors (as deployed, bytes in the output before gzip)",
      columns: ["source", "KiB", "share"],
      rows: contributors,
    },
  ];
}

/** Output bytes grouped by npm package, or by top-level folder for the project's own code. */
function largestContributors(metafilePath) {
  const meta = JSON.parse(readFileSync(metafilePath, "utf8"));
  const output = Object.values(meta.outputs).find((o) => o.entryPoint);
  if (!output) return [];
  const bySource = new Map();
  let total = 0;
  for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    const source = pkg ?? `${path.split("/")[0]}/ (project)`;
    bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
    total += bytesInOutput;
  }
  return [...bySource]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_CONTRIBUTORS)
    .map(([source, bytes]) => [source, kib(bytes), `${((bytes / total) * 100).toFixed(1)}%`]);
}
