/**
 * Starts the platform like `npm start` does, for the browser tests: migrations applied to a
 * fresh state folder, `wrangler dev` on a free port, rate limits relaxed for scripted traffic.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WRANGLER = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const READY_TIMEOUT_MS = 120_000; // the first start bundles the Worker and boots workerd

/** A running local Worker. */
export interface LocalServer {
  url: string;
  port: number;
  /**
   * Stops the Worker and starts it again on the same port and stored state with `vars` added to
   * its variables: how an operator changes a deployment's configuration. Sessions stay valid.
   */
  restart(vars: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A free TCP port on 127.0.0.1, chosen below the system's ephemeral range: the servers here are
 * started minutes after their ports are chosen, and a port the system hands out for `listen(0)`
 * or an outgoing connection in the meantime (the Worker tests open hundreds) would be taken by
 * then. Ports this process handed out are never handed out twice.
 */
export async function freePort(): Promise<number> {
  const [low, high] = PORT_RANGE;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (handedOut.has(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${low}–${high}`);
}

/** Where `freePort` looks: the 10,000 ports below the ephemeral range (32768 where it is unknown). */
const PORT_RANGE = ((): [number, number] => {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // not Linux: the common default
  }
  const high = Math.max(ephemeralLow, 11_024);
  return [high - 10_000, high];
})();
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

function run(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [WRANGLER, ...args], {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finished(child: ChildProcess, label: string): Promise<string> {
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`${label} exited ${code}:\n${output.slice(-3000)}`)))),
  );
}

/**
 * Starts `wrangler dev` on a fresh database and waits until `/healthz` answers: on `port`, or on
 * a free one.
 */
export async function startLocalServer(vars: Record<string, string> = {}, port?: number): Promise<LocalServer> {
  const state = mkdtempSync(join(tmpdir(), "edgedesk-e2e-"));
  const envFile = join(state, ".dev.vars");
  writeFileSync(
    envFile,
    [
      `JWT_SECRET=${randomBytes(48).toString("base64url")}`,
      `ENCRYPTION_KEYS=k1:${randomBytes(32).toString("base64")}`,
      "RATE_LIMIT_BURST_PER_MINUTE=off",
      "RATE_LIMIT_VISITOR_BURST_PER_MINUTE=off",
      // Every widget in these tests starts its conversations from this one address.
      "RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR=off",
      // Every browser and loader test signs up and in from this one machine's address.
      "AUTH_RATE_LIMIT_PER_MINUTE=off",
      ...varLines(vars),
    ].join("\n"),
  );
  await finished(run(["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { CI: "true" }), "migrations");
  const url = `http://127.0.0.1:${(port ??= await freePort())}`;
  let child = await startWrangler(port, state, envFile, url);
  return {
    url,
    port,
    async restart(more) {
      await stopChild(child);
      appendFileSync(envFile, `\n${varLines(more).join("\n")}`);
      child = await startWrangler(port, state, envFile, url);
    },
    async stop() {
      await stopChild(child);
      rmSync(state, { recursive: true, force: true });
    },
  };
}

function varLines(vars: Record<string, string>): string[] {
  return Object.entries(vars).map(([k, v]) => `${k}=${v}`);
}

/** `wrangler dev` on `port` with the state and variables given, once `/healthz` answers. */
async function startWrangler(port: number, state: string, envFile: string, url: string): Promise<ChildProcess> {
  // An explicit inspector port: wrangler's default (9229) races when several servers start at once.
  const inspectorPort = await freePort();
  const child = run(
    [
      "dev",
      "--port",
      String(port),
      "--inspector-port",
      String(inspectorPort),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--env-file",
      envFile,
      "--show-interactive-dev-session=false",
    ],
    {},
  );
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited ${child.exitCode}:\n${output.slice(-3000)}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`wrangler dev did not answer in time:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Stops `wrangler dev` (and so its workerd), killing it if it does not exit within ten seconds. */
async function stopChild(child: ChildProcess): Promise<void> {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  if (gone()) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  if (!gone()) {
    child.kill("SIGKILL");
    await exited;
  }
}
