/**
 * Starts the dashboard like `npm start` does, for the loader and browser tests: the Remix
 * build served by `wrangler pages dev` (the Pages runtime, workerd), pointed at a local API.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { setPriority, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../../e2e/local-server";

export const DASHBOARD_DIR = fileURLToPath(new URL("..", import.meta.url));
const ROOT = join(DASHBOARD_DIR, "..");
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const REMIX = join(ROOT, "node_modules", "@remix-run", "dev", "dist", "cli.js");
const READY_TIMEOUT_MS = 90_000; // the first start compiles the Pages Function and boots workerd

/** A running dashboard. */
export interface LocalDashboard {
  url: string;
  stop(): Promise<void>;
}

function collect(child: ChildProcess): () => string {
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  return () => output;
}

/**
 * Scheduling priority of the test builds (0 is normal, 19 the lowest): they yield the CPU to the
 * tests that run while the platform starts.
 */
const BUILD_PRIORITY = 10;

/** Runs a build process at `BUILD_PRIORITY` (best effort: it may already be gone). */
export function asBuild(child: ChildProcess): ChildProcess {
  try {
    if (child.pid !== undefined) setPriority(child.pid, BUILD_PRIORITY);
  } catch {
    // exited already, or not allowed: it builds at normal priority
  }
  return child;
}

/** Builds the dashboard (Remix + Vite) into `dashboard/build`, at a lower priority. */
export async function buildDashboard(): Promise<void> {
  const remix = asBuild(
    spawn(process.execPath, [resolveRemixCli(), "vite:build"], {
      cwd: DASHBOARD_DIR,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    }),
  );
  const output = collect(remix);
  const code = await new Promise<number | null>((resolve) => remix.on("exit", resolve));
  if (code !== 0) throw new Error(`dashboard build failed (${code}):\n${output().slice(-3000)}`);
}

function resolveRemixCli(): string {
  // Installed in the dashboard workspace, or hoisted to the root.
  const local = join(DASHBOARD_DIR, "node_modules", "@remix-run", "dev", "dist", "cli.js");
  return existsSync(local) ? local : REMIX;
}

/** Serves the built dashboard with `wrangler pages dev` on `port` (or a free one), calling `apiUrl`. */
export async function startDashboard(apiUrl: string, port?: number): Promise<LocalDashboard> {
  port ??= await freePort();
  // An explicit inspector port: the default (9229) races when two dashboards start at once.
  const inspectorPort = await freePort();
  const state = mkdtempSync(join(tmpdir(), "edgedesk-dashboard-"));
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      "pages",
      "dev",
      "./build/client",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--binding",
      `API_URL=${apiUrl}`,
      "--binding",
      `SESSION_SECRET=${randomBytes(32).toString("base64url")}`,
      "--show-interactive-dev-session=false",
    ],
    { cwd: DASHBOARD_DIR, env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const output = collect(child);
  // `localhost` rather than 127.0.0.1: browsers treat it as a secure context, so the
  // Secure session cookie is kept over plain http.
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler pages dev exited ${child.exitCode}:\n${output().slice(-3000)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/login`);
      if (res.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`wrangler pages dev did not answer in time:\n${output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGINT");
        await Promise.race([new Promise((r) => child.once("exit", r)), new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(state, { recursive: true, force: true });
    },
  };
}
