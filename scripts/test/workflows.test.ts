import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { unstable_readConfig } from "wrangler";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeCloudflareApi, startFakeWorker } from "./fake-cloudflare";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const workflow = (name: string): any => parse(readFileSync(join(ROOT, ".github", "workflows", name), "utf8"));
const packageScripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts;
const readme = readFileSync(join(ROOT, "README.md"), "utf8");

/** Every `run:` of every job of a workflow. */
const runs = (wf: any): string[] => Object.values<any>(wf.jobs).flatMap((job) => (job.steps ?? []).map((s: any) => s.run).filter(Boolean));

function run(command: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(command, args, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, output })));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("GitHub workflows", () => {
  const ci = workflow("ci.yml");
  const deploy = workflow("deploy.yml");
  const release = workflow("release.yml");

  it("CI installs Debian's Chromium, runs against a Postgres service, and runs lint, type checks and the tests", () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["push", "pull_request", "workflow_call"]));
    const job = ci.jobs.test;
    expect(job.container.image).toMatch(/bookworm/);
    expect(job.services.postgres.env.POSTGRES_DB).toBe("test");
    expect(job.env.TEST_POSTGRES_URL).toMatch(/@postgres:5432\/test$/);
    const commands = runs(ci).join("\n");
    for (const command of ["apt-get install -y --no-install-recommends chromium", "npm ci", "npm run lint", "npm run typecheck", "npm test"]) {
      expect(commands).toContain(command);
    }
  });

  it("deploys main to staging, then to production behind its environment's approval", () => {
    expect(deploy.on.push.branches).toEqual(["main"]);
    expect(deploy.concurrency["cancel-in-progress"]).toBe(false);
    expect(deploy.jobs.ci.uses).toBe("./.github/workflows/ci.yml");
    expect(deploy.jobs.staging).toMatchObject({ needs: "ci", uses: "./.github/workflows/release.yml", with: { environment: "staging" } });
    expect(deploy.jobs.production).toMatchObject({ needs: "staging", uses: "./.github/workflows/release.yml", with: { environment: "production" } });
    expect(release.on.workflow_call.inputs.environment.required).toBe(true);
    expect(release.jobs.release.environment).toBe("${{ inputs.environment }}");
    const steps: any[] = release.jobs.release.steps;
    const upload = steps.findIndex((s) => s.run?.includes("wrangler versions upload"));
    const rollout = steps.findIndex((s) => s.run?.includes("node scripts/rollout.mjs"));
    expect(upload).toBeGreaterThan(steps.findIndex((s) => s.run?.includes("wrangler d1 migrations apply")));
    expect(rollout).toBeGreaterThan(upload);
    expect(steps[upload].env.WRANGLER_OUTPUT_FILE_PATH).toBe("${{ env.UPLOAD_OUTPUT }}");
  });

  it("names only scripts, npm scripts and workflows that exist, and secrets and variables the README documents", () => {
    const all = [ci, deploy, release];
    for (const command of all.flatMap(runs)) {
      for (const [, script] of command.matchAll(/\bnode (scripts\/[\w./-]+)/g)) expect(existsSync(join(ROOT, script!)), script).toBe(true);
      for (const [, name] of command.matchAll(/\bnpm run ([\w:-]+)/g)) expect(packageScripts, name).toHaveProperty(name!);
    }
    for (const wf of [deploy]) {
      for (const job of Object.values<any>(wf.jobs)) {
        if (job.uses) expect(Object.keys(workflow(job.uses.replace("./.github/workflows/", "")).on)).toContain("workflow_call");
      }
    }
    const text = ["ci.yml", "deploy.yml", "release.yml"].map((f) => readFileSync(join(ROOT, ".github", "workflows", f), "utf8")).join("\n");
    const named = new Set([...text.matchAll(/\$\{\{\s*(?:secrets|vars)\.(\w+)/g)].map((m) => m[1]!));
    expect(named).toContain("CLOUDFLARE_API_TOKEN");
    for (const name of named) expect(readme, `README documents ${name}`).toContain(`\`${name}\``);
  });

  it("runs the rollout exactly as the release workflow calls it (here as a dry run)", async () => {
    const OLD = randomUUID();
    const NEW = randomUUID();
    const api = await startFakeCloudflareApi({ initialVersion: OLD, knownVersions: [OLD, NEW], traffic: () => ({ requests: 0, errors: 0 }) });
    const preview = await startFakeWorker();
    const dir = mkdtempSync(join(tmpdir(), "edgedesk-release-"));
    cleanups.push(() => api.close(), () => preview.close(), () => rmSync(dir, { recursive: true, force: true }));
    const uploadOutput = join(dir, "upload-output.ndjson");
    writeFileSync(uploadOutput, JSON.stringify({ type: "version-upload", version: 1, worker_name: api.scriptName, version_id: NEW, preview_url: preview.url }) + "\n");
    const step = release.jobs.release.steps.find((s: any) => s.run?.includes("node scripts/rollout.mjs"));
    const command = (step.run as string).replace("${{ inputs.dry_run && '--dry-run' || '' }}", "--dry-run");
    expect(command).not.toContain("${{");

    const { code, output } = await run("sh", ["-c", command], {
      UPLOAD_OUTPUT: uploadOutput,
      CLOUDFLARE_API_TOKEN: api.token,
      CLOUDFLARE_ACCOUNT_ID: api.accountId,
      CLOUDFLARE_API_BASE_URL: api.url,
    });

    expect(output).toContain("dry run passed");
    expect(code).toBe(0);
    expect(output).toContain(`would deploy ${NEW}@10% ${OLD}@90%`);
    expect(api.requests.filter((r) => r.method === "POST")).toEqual([]);
  });
});

describe("deployment configuration", () => {
  it("gives a deployment its own Worker, database, bucket and queues, in production mode with preview URLs", async () => {
    const out = `wrangler.deploy-test-${randomUUID()}.toml`;
    cleanups.push(() => rmSync(join(ROOT, out), { force: true }));
    const databaseId = randomUUID();

    const { code, output } = await run(process.execPath, ["scripts/deploy-config.mjs", "--env", "staging", "--out", out], { D1_DATABASE_ID: databaseId, DASHBOARD_URL: "https://desk.example.com/" });

    expect(output).toContain("wrote");
    expect(code).toBe(0);
    const local = unstable_readConfig({ config: join(ROOT, "wrangler.toml") });
    const config = unstable_readConfig({ config: join(ROOT, out) });
    expect(config.name).toBe("edgedesk-staging");
    expect(config.preview_urls).toBe(true);
    expect(config.d1_databases).toEqual([expect.objectContaining({ binding: "DB", database_name: "edgedesk-staging", database_id: databaseId })]);
    expect(config.r2_buckets).toEqual([
      expect.objectContaining({ binding: "FILES", bucket_name: "edgedesk-files-staging" }),
      expect.objectContaining({ binding: "FILES_EU", bucket_name: "edgedesk-files-eu-staging", jurisdiction: "eu" }),
    ]);
    expect(config.vars).toMatchObject({ ENVIRONMENT: "production", DASHBOARD_URL: "https://desk.example.com" });
    // Metrics go to Analytics Engine in a deployment, to D1 locally.
    expect(config.analytics_engine_datasets).toEqual([expect.objectContaining({ binding: "METRICS", dataset: "edgedesk_metrics" })]);
    expect(local.analytics_engine_datasets ?? []).toEqual([]);
    const queues = [
      ...(config.queues.producers ?? []).map((p) => p.queue),
      ...(config.queues.consumers ?? []).flatMap((c) => [c.queue, c.dead_letter_queue].filter(Boolean)),
    ];
    expect(queues.length).toBe((local.queues.producers ?? []).length + (local.queues.consumers ?? []).length + 3);
    expect(queues.every((q) => q!.startsWith("edgedesk-staging-"))).toBe(true);
    // Everything else is the local configuration's.
    expect(config.durable_objects).toEqual(local.durable_objects);
    expect(config.main).toBe(local.main);
  });

  it("refuses to write a configuration without the database id", async () => {
    const { code, output } = await run(process.execPath, ["scripts/deploy-config.mjs", "--env", "production", "--out", `wrangler.never-${randomUUID()}.toml`], {});

    expect(code).toBe(2);
    expect(output).toContain("D1_DATABASE_ID is not set");
  });
});
