import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeCloudflareApi, startFakeWorker, type FakeCloudflareApi, type Traffic } from "./fake-cloudflare";

const ROLLOUT = fileURLToPath(new URL("../rollout.mjs", import.meta.url));
const OLD = randomUUID();
const NEW = randomUUID();

/** Runs `node scripts/rollout.mjs` as the deploy workflow does; resolves with its exit code and output. */
function runRollout(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [ROLLOUT, ...args], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(traffic: Traffic, worker: { broken?: string } = {}) {
  const api = await startFakeCloudflareApi({ initialVersion: OLD, knownVersions: [OLD, NEW], traffic });
  const preview = await startFakeWorker(worker);
  cleanups.push(() => api.close(), () => preview.close());
  const env = { CLOUDFLARE_API_TOKEN: api.token, CLOUDFLARE_ACCOUNT_ID: api.accountId, CLOUDFLARE_API_BASE_URL: api.url };
  const args = ["--script", api.scriptName, "--version-id", NEW, "--preview-url", preview.url, "--wait-seconds", "0", "--min-requests", "10"];
  return { api, preview, env, args };
}

/** The traffic splits the rollout asked for, in order, as `version@percent` lists. */
function deploymentsMade(api: FakeCloudflareApi): string[] {
  return api.requests
    .filter((r) => r.method === "POST" && r.path.endsWith("/deployments"))
    .map((r) => r.body.versions.map((v: { version_id: string; percentage: number }) => `${v.version_id === NEW ? "new" : "old"}@${v.percentage}`).join(" "));
}

/** A version that fails `rate` of its requests, with traffic in proportion to its share. */
const failing = (rate: (percent: number) => number): Traffic => (_version, percent) => {
  const requests = percent * 20;
  return { requests, errors: Math.round(requests * rate(percent)) };
};

describe("rollout", () => {
  it("walks the new version through 10%, 50% and 100% while its error rate stays under 1%", async () => {
    const { api, preview, env } = await setUp(failing(() => 0.002));
    // The version as `wrangler versions upload` reports it, in its output file.
    const dir = mkdtempSync(join(tmpdir(), "edgedesk-rollout-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const uploadOutput = join(dir, "wrangler-output.ndjson");
    writeFileSync(
      uploadOutput,
      [
        { version: 1, type: "wrangler-session", wrangler_version: "4.0.0" },
        { type: "version-upload", version: 1, worker_name: api.scriptName, version_id: NEW, preview_url: preview.url },
      ]
        .map((e) => JSON.stringify(e))
        .join("\n") + "\n",
    );
    api.throttleNext(1); // the first call meets a 429 and waits out its Retry-After

    const { code, output } = await runRollout(["--upload-output", uploadOutput, "--wait-seconds", "0", "--min-requests", "10"], env);

    expect(output).toContain(`serves 100% of ${api.scriptName}`);
    expect(code).toBe(0);
    expect(deploymentsMade(api)).toEqual([`new@10 old@90`, `new@50 old@50`, `new@100`]);
    expect(api.deployments[0]!.versions).toEqual([{ version_id: NEW, percentage: 100 }]);
    const analytics = api.requests.filter((r) => r.path.endsWith("/graphql"));
    expect(analytics).toHaveLength(3);
    expect(analytics.every((r) => r.body.variables.scriptVersion === NEW && r.body.variables.scriptName === api.scriptName)).toBe(true);
    expect(preview.hits).toEqual(expect.arrayContaining(["/healthz", "/readyz", "/robots.txt", "/api/v1/assistants", "/api/v1/openapi.json"]));
    expect(output).not.toContain(env.CLOUDFLARE_API_TOKEN);
  });

  it("rolls back to the previous version when the error rate passes 1% at a step", async () => {
    const { api, env, args } = await setUp(failing((percent) => (percent >= 50 ? 0.015 : 0.005)));

    const { code, output } = await runRollout(args, env);

    expect(code).toBe(1);
    expect(output).toContain("1.50% errors at 50%");
    expect(deploymentsMade(api)).toEqual([`new@10 old@90`, `new@50 old@50`, `old@100`]);
    expect(api.deployments[0]!.versions).toEqual([{ version_id: OLD, percentage: 100 }]);
    expect(api.deployments[0]!.annotations?.["workers/message"]).toMatch(/^rollback/);
  });

  it("refuses to send any traffic to a version whose smoke checks fail", async () => {
    const { api, env, args } = await setUp(failing(() => 0), { broken: "/readyz" });
    const before = structuredClone(api.deployments);

    const { code, output } = await runRollout(args, env);

    expect(code).toBe(1);
    expect(output).toMatch(/smoke checks failed .*readiness/);
    expect(deploymentsMade(api)).toEqual([]);
    expect(api.requests.some((r) => r.path.endsWith("/graphql"))).toBe(false);
    expect(api.deployments).toEqual(before);
  });

  it("changes nothing in a dry run, and says what it would deploy", async () => {
    const { api, env, args } = await setUp(failing(() => 0.5));
    const before = structuredClone(api.deployments);

    const { code, output } = await runRollout([...args, "--dry-run"], env);

    expect(code).toBe(0);
    expect(output).toContain(`would deploy ${NEW}@10% ${OLD}@90%`);
    expect(output).toContain(`would deploy ${NEW}@100%`);
    expect(api.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(api.deployments).toEqual(before);
  });

  it("stops with Cloudflare's error when the token is refused, and never prints the token", async () => {
    const { api, env, args } = await setUp(failing(() => 0));
    const wrongToken = `cf-wrong-${randomUUID()}`;

    const { code, output } = await runRollout(args, { ...env, CLOUDFLARE_API_TOKEN: wrongToken });

    expect(code).toBe(2);
    expect(output).toContain("403 (10000 Authentication error)");
    expect(output).not.toContain(wrongToken);
    expect(deploymentsMade(api)).toEqual([]);
  });

  it("refuses bad steps before calling anything", async () => {
    const { api, env, args } = await setUp(failing(() => 0));

    const { code, output } = await runRollout([...args, "--steps", "50,10,100"], env);

    expect(code).toBe(2);
    expect(output).toContain("--steps must be rising whole percentages ending at 100");
    expect(api.requests).toEqual([]);
  });
});
