#!/usr/bin/env node
/**
 * `node scripts/rollout.mjs --script <worker> --upload-output <file>`: the canaried release of a
 * Worker version uploaded with `wrangler versions upload`.
 *
 *   1. reads the new version's id and preview URL (wrangler's output file, or --version-id and
 *      --preview-url) and the version serving traffic now (the newest deployment);
 *   2. runs the smoke checks (scripts/smoke.mjs) against the preview URL, and refuses to go on
 *      when one fails: no traffic ever reaches that version;
 *   3. deploys the new version at each step (10%, 50%, 100% by default, the rest staying on the
 *      previous version, as `wrangler versions deploy new@10% old@90%` does), waits, and reads
 *      the new version's error rate over the step from the GraphQL Analytics API;
 *   4. when that rate passes the limit (1% by default), deploys the previous version at 100%
 *      again and fails.
 *
 * `--dry-run` reads and checks everything but creates no deployment and does not wait.
 * Needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID (CLOUDFLARE_API_BASE_URL for another API
 * server). Exits 0 when the version serves all traffic (or the dry run passed), 1 when the smoke
 * checks failed or the rollout was rolled back, 2 on bad usage or an API failure.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { cloudflareApi, DEFAULT_API_BASE } from "./lib/cloudflare-api.mjs";
import { runSmoke } from "./smoke.mjs";

const DEFAULT_STEPS = [10, 50, 100];
const DEFAULT_WAIT_S = 300; // GraphQL analytics trail traffic by a minute or two; five minutes also gives errors time to show
const DEFAULT_MAX_ERROR_RATE = 0.01;
const DEFAULT_MIN_REQUESTS = 50; // below this a rate says little: the step goes on, with a warning

/** Why a rollout stopped without an API failure: the smoke checks, or the error rate. */
export class RolloutStopped extends Error {}

/**
 * The rollout itself; resolves with what happened, throws `RolloutStopped` when it refused or
 * rolled back (the previous version serves all traffic again), and any other error on an API
 * failure (after putting the previous version back at 100% if traffic had moved).
 * @param {{ api: ReturnType<typeof cloudflareApi>, script: string, versionId: string, previewUrl: string,
 *   steps?: number[], waitSeconds?: number, maxErrorRate?: number, minRequests?: number, dryRun?: boolean,
 *   log?: (line: string) => void, sleep?: (ms: number) => Promise<void>, smokeRetryWaitMs?: number }} options
 */
export async function rollout({
  api,
  script,
  versionId,
  previewUrl,
  steps = DEFAULT_STEPS,
  waitSeconds = DEFAULT_WAIT_S,
  maxErrorRate = DEFAULT_MAX_ERROR_RATE,
  minRequests = DEFAULT_MIN_REQUESTS,
  dryRun = false,
  log = () => {},
  sleep = (ms) => new Promise((r) => setTimeout(r, ms)),
  smokeRetryWaitMs,
}) {
  const deployments = await api.listDeployments(script);
  const previous = previousVersion(deployments[0], versionId);
  log(previous ? `serving now: ${previous}; new version: ${versionId}` : `no deployment yet; new version: ${versionId} goes straight to 100%`);

  log(`smoke checks against ${previewUrl}`);
  const smoke = await runSmoke(previewUrl, { log: (line) => log(`  ${line}`), retryWaitMs: smokeRetryWaitMs });
  if (!smoke.ok) {
    throw new RolloutStopped(`smoke checks failed against ${previewUrl} (${smoke.results.filter((r) => !r.ok).map((r) => r.name).join(", ")}): version ${versionId} gets no traffic`);
  }

  const plan = previous ? steps : [100];
  const history = [];
  let moved = false;
  const rollBack = async (reason) => {
    if (!previous || !moved) return;
    await api.createDeployment(script, [{ version_id: previous, percentage: 100 }], `rollback: ${reason}`);
    log(`rolled back: ${previous} serves 100% again`);
  };
  try {
    for (const percent of plan) {
      const versions = trafficSplit(versionId, previous, percent);
      if (dryRun) {
        log(`dry run: would deploy ${versions.map((v) => `${v.version_id}@${v.percentage}%`).join(" ")}, wait ${waitSeconds} s and check the error rate`);
        history.push({ percent, requests: null, errors: null });
        continue;
      }
      await api.createDeployment(script, versions, `rollout ${percent}%`);
      moved = true;
      const since = new Date();
      log(`deployed ${versions.map((v) => `${v.version_id}@${v.percentage}%`).join(" ")}; waiting ${waitSeconds} s`);
      await sleep(waitSeconds * 1000);
      const { requests, errors } = await api.versionErrors(script, versionId, since, new Date());
      history.push({ percent, requests, errors });
      const rate = requests > 0 ? errors / requests : 0;
      log(`at ${percent}%: ${errors} errors in ${requests} requests (${(rate * 100).toFixed(2)}%, limit ${(maxErrorRate * 100).toFixed(2)}%)`);
      if (requests < minRequests) log(`warning: fewer than ${minRequests} requests at ${percent}%; the rate says little`);
      if (requests > 0 && rate > maxErrorRate) {
        const reason = `${(rate * 100).toFixed(2)}% errors at ${percent}%`;
        await rollBack(reason);
        throw new RolloutStopped(`version ${versionId}: ${reason}, over the ${(maxErrorRate * 100).toFixed(2)}% limit; rolled back to ${previous ?? "nothing (first deployment)"}`);
      }
    }
  } catch (err) {
    if (!(err instanceof RolloutStopped)) {
      log(`error during the rollout: ${err instanceof Error ? err.message : String(err)}`);
      await rollBack("rollout error").catch((e) => log(`rollback failed too: ${e instanceof Error ? e.message : String(e)}`));
    }
    throw err;
  }
  log(dryRun ? "dry run passed: nothing was deployed" : `version ${versionId} serves 100% of ${script}`);
  return { previous, versionId, steps: history, dryRun };
}

/**
 * The version to keep the rest of the traffic on, and to roll back to: of the deployment serving
 * now, the version with the most traffic that is not the new one (a re-run finds the new one
 * already in it), or null on a Worker's first deployment.
 */
export function previousVersion(current, newVersionId) {
  const others = (current?.versions ?? []).filter((v) => v.version_id !== newVersionId).sort((a, b) => b.percentage - a.percentage);
  return others[0]?.version_id ?? null;
}

/** `percent` of the traffic to the new version, the rest to the previous one. */
export function trafficSplit(newVersionId, previous, percent) {
  if (percent >= 100 || !previous) return [{ version_id: newVersionId, percentage: 100 }];
  return [
    { version_id: newVersionId, percentage: percent },
    { version_id: previous, percentage: 100 - percent },
  ];
}

/**
 * The version wrangler uploaded: the last `version-upload` entry of the ND-JSON file that
 * `wrangler versions upload` writes to WRANGLER_OUTPUT_FILE_PATH.
 */
export function readUploadOutput(file) {
  const entries = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.type === "version-upload" && entry.version_id);
  const last = entries.at(-1);
  if (!last) throw new Error(`${file} holds no version-upload entry: did wrangler versions upload run with WRANGLER_OUTPUT_FILE_PATH set?`);
  return { versionId: last.version_id, previewUrl: last.preview_url ?? null, workerName: last.worker_name ?? null };
}

const USAGE = `usage: node scripts/rollout.mjs --script <worker name> (--upload-output <file> | --version-id <id> --preview-url <url>)
       [--steps 10,50,100] [--wait-seconds ${DEFAULT_WAIT_S}] [--max-error-rate ${DEFAULT_MAX_ERROR_RATE}] [--min-requests ${DEFAULT_MIN_REQUESTS}] [--dry-run]
env:   CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID, optional CLOUDFLARE_API_BASE_URL`;

/** The command line as rollout options; throws with the usage on a mistake. */
function parseCommandLine(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      script: { type: "string" },
      "upload-output": { type: "string" },
      "version-id": { type: "string" },
      "preview-url": { type: "string" },
      steps: { type: "string" },
      "wait-seconds": { type: "string" },
      "max-error-rate": { type: "string" },
      "min-requests": { type: "string" },
      "dry-run": { type: "boolean", default: false },
    },
  });
  const fail = (problem) => {
    throw new Error(`${problem}\n${USAGE}`);
  };
  const uploaded = values["upload-output"] ? readUploadOutput(values["upload-output"]) : null;
  const script = values.script ?? uploaded?.workerName;
  const versionId = values["version-id"] ?? uploaded?.versionId;
  const previewUrl = values["preview-url"] ?? uploaded?.previewUrl;
  if (!script) fail("--script is required");
  if (!versionId) fail("--version-id or --upload-output is required");
  if (!previewUrl) fail("no preview URL: pass --preview-url, or turn on preview URLs for the Worker (preview_urls = true)");
  const steps = (values.steps ?? DEFAULT_STEPS.join(",")).split(",").map(Number);
  if (steps.some((s) => !Number.isInteger(s) || s < 1 || s > 100) || steps.at(-1) !== 100 || steps.some((s, i) => i > 0 && s <= steps[i - 1])) {
    fail("--steps must be rising whole percentages ending at 100");
  }
  const number = (name, fallback, ok) => {
    const value = values[name] === undefined ? fallback : Number(values[name]);
    if (!ok(value)) fail(`--${name} is out of range`);
    return value;
  };
  return {
    script,
    versionId,
    previewUrl,
    steps,
    waitSeconds: number("wait-seconds", DEFAULT_WAIT_S, (v) => Number.isFinite(v) && v >= 0),
    maxErrorRate: number("max-error-rate", DEFAULT_MAX_ERROR_RATE, (v) => Number.isFinite(v) && v >= 0 && v < 1),
    minRequests: number("min-requests", DEFAULT_MIN_REQUESTS, (v) => Number.isInteger(v) && v >= 0),
    dryRun: values["dry-run"],
  };
}

async function main() {
  let options;
  try {
    options = parseCommandLine(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const api = cloudflareApi({
    apiToken: process.env.CLOUDFLARE_API_TOKEN ?? "",
    accountId: process.env.CLOUDFLARE_ACCOUNT_ID ?? "",
    apiBase: process.env.CLOUDFLARE_API_BASE_URL || DEFAULT_API_BASE,
  });
  const log = (line) => console.log(`[rollout] ${line}`);
  const summary = (line) => process.env.GITHUB_STEP_SUMMARY && appendFileSync(process.env.GITHUB_STEP_SUMMARY, `${line}\n`);
  try {
    const result = await rollout({ api, ...options, log });
    summary(`${options.script}: ${result.dryRun ? "dry run passed for" : "rolled out"} version \`${options.versionId}\` (${options.steps.join("% → ")}%)`);
    return 0;
  } catch (err) {
    if (err instanceof RolloutStopped) {
      log(`stopped: ${err.message}`);
      summary(`${options.script}: **stopped**: ${err.message}`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[rollout] ${err instanceof Error ? err.message : String(err)}`);
      process.exit(2);
    },
  );
}
