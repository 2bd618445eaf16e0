// Over 400 lines: the helpers every bench shares (processes, HTTP, sizes, tables), each short and independent.
/**
 * Helpers shared by the bench modules: paths, running wrangler, sizes and tables.
 * Files whose name starts with `_` are helpers; `run.mjs` does not run them as benches.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { descendantPids, listeningPorts, runtimeEntryPort } from "../scripts/lib/runtime-port.mjs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { withRaisedDescriptorLimit } from "../scripts/lib/fd-limit.mjs";

/** The repository root. */
export const ROOT = fileURLToPath(new URL("..", import.meta.url));

const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Node 22 for wrangler: this process's Node when it is new enough, else the `node` devDependency. */
export function nodeForWrangler() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return process.execPath;
  const local = join(ROOT, "node_modules", "node", "bin", "node");
  return existsSync(local) ? local : process.execPath;
}

/**
 * Runs `wrangler <args>` from the repository root, metrics off, and resolves with its output.
 * Rejects with the output's tail when it exits non-zero.
 */
export function runWrangler(args, { env = {} } = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(nodeForWrangler(), [WRANGLER_BIN, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0", ...env },
    });
    let output = "";
    proc.stdout.on("data", (chunk) => (output += chunk));
    proc.stderr.on("data", (chunk) => (output += chunk));
    proc.on("error", reject);
    proc.on("exit", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`wrangler ${args.join(" ")} exited ${code}:\n${output.split("\n").slice(-20).join("\n")}`));
    });
  });
}

/** Bytes as KiB with two decimals, the unit wrangler reports. */
export function kib(bytes) {
  return (bytes / 1024).toFixed(2);
}

/**
 * A bench's result: a titled table. `columns` name the cells of each row; numbers are
 * right-aligned. `notes` are printed under the table.
 * @typedef {{ title: string, columns: string[], rows: (string | number)[][], notes?: string[] }} Table
 */

/** Renders a table as aligned plain text (readable in a terminal and pasteable into markdown). */
export function formatTable({ title, columns, rows, notes = [] }) {
  const cells = [columns, ...rows].map((row) => row.map((cell) => String(cell)));
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? "").length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => isNumeric(row[i])));
  const line = (row) =>
    "| " +
    row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join(" | ") +
    " |";
  const rule = "|" + widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [`### ${title}`, "", line(cells[0]), rule, ...cells.slice(1).map(line), ...notes.map((n) => `\n${n}`)].join(
    "\n",
  );
}

function isNumeric(cell) {
  return typeof cell === "number" || (typeof cell === "string" && /^-?[\d.,]+%?$/.test(cell));
}

// ---------------------------------------------------------------------------------------------
// Helpers for benches that run the Worker locally (`wrangler dev`) and measure it over the network.

/** A TCP port nothing listens on right now, on `host`. */
export function freePort(host = "127.0.0.1") {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Starts `wrangler dev` from the repository root with `args` (port, persistence, vars…), metrics
 * off, `request.cf` not fetched (that needs the network). Its output is kept in memory (the last
 * `keepLines` lines) and handed to `onLine` line by line, so a bench can count what the server
 * logged. Call `stop()` when done: SIGTERM, then SIGKILL after `graceMs` for wrangler and any of
 * its own child processes still alive. The process is also killed if this one exits first.
 */
export function startWranglerDev(args, { onLine = () => {}, keepLines = 200, graceMs = 10_000, env = {} } = {}) {
  // The soft descriptor limit raised to the hard one: each open WebSocket costs descriptors in
  // the dev proxy and the runtime (scripts/lib/fd-limit.mjs).
  const { command, args: argv } = withRaisedDescriptorLimit(nodeForWrangler(), [WRANGLER_BIN, "dev", ...args]);
  const proc = spawn(command, argv, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      FORCE_COLOR: "0",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      ...env,
    },
  });
  const tail = [];
  let exit = null;
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
    proc.on("error", (error) => {
      exit = { code: null, signal: null, error };
      resolve(exit);
    });
  });
  for (const stream of [proc.stdout, proc.stderr]) {
    let buffer = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk) => {
      buffer += chunk;
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        tail.push(line);
        if (tail.length > keepLines) tail.shift();
        try {
          onLine(line);
        } catch {
          // a counting callback must not take the server down
        }
      }
    });
  }
  // Children seen while running; after wrangler exits they are re-parented and not findable.
  const known = new Set();
  const remember = () => {
    if (exit === null) for (const pid of descendantPids(proc.pid)) known.add(pid);
  };
  const killAll = (signal) => {
    for (const pid of [proc.pid, ...known]) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const onProcessExit = () => exit === null && killAll("SIGKILL");
  process.on("exit", onProcessExit);
  const watcher = setInterval(remember, 2_000);
  watcher.unref();
  void exited.then(() => clearInterval(watcher));

  return {
    proc,
    exited,
    /** The last lines wrangler printed. */
    tail: () => tail.join("\n"),
    /** True while wrangler runs. */
    running: () => exit === null,
    /** Pids of wrangler's child processes (workerd, esbuild…), recursively. */
    children: () => {
      remember();
      return exit === null ? descendantPids(proc.pid) : [];
    },
    async stop() {
      remember();
      if (exit === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => killAll("SIGKILL"), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // workerd and esbuild notice wrangler is gone and exit on their own within a moment;
      // whatever of ours is still running after that is killed by pid.
      const alive = () => [...known].filter((pid) => isAlive(pid));
      for (let waited = 0; alive().length > 0 && waited < graceMs; waited += 100) await sleep(100);
      const left = alive();
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
      process.off("exit", onProcessExit);
      return { ...exit, killedLeftovers: left.length };
    },
  };
}

/** True while `pid` runs (a zombie waiting to be reaped counts as gone). */
function isAlive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Polls `url` until it answers 2xx, or rejects after `timeoutMs` (or when `alive()` turns false). */
export async function waitForHttp(url, { timeoutMs = 120_000, intervalMs = 300, alive = () => true } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`the server stopped before ${url} answered`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(intervalMs);
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s`);
}


/** `{pid, name, rssKiB, hwmKiB}` of a process from /proc/<pid>/status, or null when it is gone. */
export function processMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const field = (name) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
    return { pid, name: /^Name:\s+(.+)$/m.exec(status)?.[1] ?? "?", rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
  } catch {
    return null;
  }
}

/** The value at percentile `p` (0..100) of `values`, nearest-rank; null for no values. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Runs `fn(item, index)` over `items` with at most `limit` running at once; results in order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The 1, 5 and 15 minute load averages, as printed by `uptime`. */
export function loadAverage() {
  return loadavg()
    .map((n) => n.toFixed(2))
    .join(", ");
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux x86 and arm). */
const USER_HZ = 100;

/** CPU time (user + system) a process has used so far, in ms, or null when it is gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // After the comm field: state is [0], utime is field 14 of stat, i.e. [11] here, stime [12].
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return null;
  }
}

/** Which of `pids` has a TCP socket listening on `port` (IPv4 or IPv6); null when none does. */
export function listeningPid(port, pids) {
  return pids.find((pid) => listeningPorts(pid).includes(port)) ?? null;
}

export { descendantPids, listeningPorts, runtimeEntryPort };

// ---------------------------------------------------------------------------------------------
// A local Worker on a fresh database, and a small client for its public API (used by the
// knowledge bench and `npm run eval`).

/** The Worker's entry module in a `wrangler deploy --dry-run --outdir` folder. */
export function bundleEntry(dir) {
  const modules = readdirSync(dir).filter((f) => /\.m?js$/.test(f));
  const main = modules.find((f) => f === "index.js") ?? modules[0];
  if (!main) throw new Error(`wrangler deploy --dry-run left no JavaScript module in ${dir}`);
  return join(dir, main);
}

/**
 * Starts the Worker with `wrangler dev` on a free port of 127.0.0.1 and a fresh database in
 * `<tmpDir>/state` (D1 migrations applied first), burst rate limits off, a random JWT secret
 * and encryption key from an env file in `tmpDir` (the repository's `.dev.vars` and
 * `.wrangler/state` are never read or written), plus `vars`. With `snapshot` (the default) the
 * Worker is first bundled as `wrangler deploy` would and `wrangler dev` serves that file, so
 * edits to the working tree during a run cannot reload the server. Resolves once `/healthz`
 * answers, with `{base, server, stop()}`; on failure the server is stopped and the error
 * carries wrangler's last lines (`inspectorPort`: the DevTools inspector of the Worker's isolate). Called again with the same `tmpDir` after `stop()`, it serves
 * the same database, bundle and secrets (tokens issued before stay valid). `wrangler.toml` and
 * the static assets (`public/`) are copied into `tmpDir` too (the config's other relative paths
 * made absolute): wrangler dev restarts workerd when its config or assets change (a widget build,
 * `npm start` writing the demo page), and local queues lose their pending messages when it does.
 */
export async function startLocalWorker({ tmpDir, log = () => {}, vars = {}, snapshot = true, healthTimeoutMs = 180_000 }) {
  const { randomBytes } = await import("node:crypto");
  const { writeFileSync } = await import("node:fs");
  const host = "127.0.0.1";
  const port = await freePort(host);
  const inspectorPort = await freePort(host);
  const base = `http://${host}:${port}`;
  const persistTo = join(tmpDir, "state");
  const envFile = join(tmpDir, "worker.env");
  if (!existsSync(envFile)) writeFileSync(
    envFile,
    [
      `JWT_SECRET="${randomBytes(36).toString("base64url")}"`,
      `ENCRYPTION_KEYS="k1:${randomBytes(32).toString("base64")}"`,
      "RATE_LIMIT_BURST_PER_MINUTE=off",
      "RATE_LIMIT_VISITOR_BURST_PER_MINUTE=off",
      // Load comes from one address and one workspace: the per-address, per-conversation,
      // per-workspace and token limits would measure themselves, not the platform.
      "RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR=off",
      "RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE=off",
      "RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE=off",
      "MODEL_TOKEN_BUDGET_STARTER=off",
      // As `npm start` runs it (wrangler dev prints its own line per request), unless `vars` say.
      ...("ACCESS_LOG" in vars ? [] : ["ACCESS_LOG=off"]),
      ...Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(String(v))}`),
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  let config = join(ROOT, "wrangler.toml");
  if (snapshot) {
    const copy = join(tmpDir, "wrangler.toml");
    if (!existsSync(copy)) {
      const { cpSync } = await import("node:fs");
      const text = readFileSync(config, "utf8").replace(
        /^(\s*(main|directory|migrations_dir)\s*=\s*)"([^"]+)"/gm,
        (line, prefix, key, value) => {
          if (key !== "directory") return isAbsolute(value) ? line : `${prefix}${JSON.stringify(resolve(ROOT, value))}`;
          const assets = join(tmpDir, "assets");
          cpSync(resolve(ROOT, value), assets, { recursive: true });
          return `${prefix}${JSON.stringify(assets)}`;
        },
      );
      writeFileSync(copy, text);
    }
    config = copy;
  }
  log(`applying D1 migrations to ${persistTo}…`);
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", config], { env: { CI: "true" } });
  let entryArgs = [];
  if (snapshot) {
    log("bundling the Worker (wrangler deploy --dry-run, once)…");
    const bundleDir = join(tmpDir, "bundle");
    if (!existsSync(bundleDir)) await runWrangler(["deploy", "--dry-run", "--outdir", bundleDir, "--config", config]);
    entryArgs = [bundleEntry(bundleDir), "--no-bundle", "--config", config];
  }
  log(`starting wrangler dev on ${base} (load ${loadAverage()})…`);
  const server = startWranglerDev([
    ...entryArgs,
    "--port", String(port),
    "--ip", host,
    "--inspector-port", String(inspectorPort),
    "--persist-to", persistTo,
    "--env-file", envFile,
    "--show-interactive-dev-session=false",
  ]);
  try {
    await waitForHttp(`${base}/healthz`, { timeoutMs: healthTimeoutMs, alive: server.running });
  } catch (err) {
    await server.stop();
    if (err instanceof Error) err.message += `\n--- last lines of wrangler dev ---\n${server.tail().split("\n").slice(-25).join("\n")}`;
    throw err;
  }
  return { base, server, inspectorPort, stop: () => server.stop() };
}

/**
 * Starts a Worker of one line (its fetch answers `{"ok":true}`: no middleware, no storage) behind
 * a `wrangler dev` of its own, written into `dir`: the floor of any request through `wrangler
 * dev` on this machine. Resolves once it answers, with `{base, server}`; `server.stop()` ends it.
 */
export async function startEmptyWorker(dir) {
  const { mkdirSync, writeFileSync } = await import("node:fs");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "index.js"), "export default { fetch: () => Response.json({ ok: true }) };\n");
  writeFileSync(join(dir, "wrangler.toml"), 'name = "empty"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n');
  const host = "127.0.0.1";
  const port = await freePort(host);
  const server = startWranglerDev([
    "--config", join(dir, "wrangler.toml"),
    "--port", String(port),
    "--ip", host,
    "--inspector-port", String(await freePort(host)),
    "--show-interactive-dev-session=false",
  ]);
  const base = `http://${host}:${port}`;
  try {
    await waitForHttp(`${base}/`, { timeoutMs: 120_000, alive: server.running });
  } catch (err) {
    await server.stop();
    throw err;
  }
  return { base, server };
}

/**
 * A client for the Worker's public API at `base`: `call(method, path, {token, body, form})`
 * resolves with `{status, body, ms}` (network errors as status 0), `expect(status, …)` throws
 * unless the status matches. Every call is bounded by `timeoutMs`.
 */
export function apiClient(base, { timeoutMs = 60_000 } = {}) {
  const call = async (method, path, { token, body, form } = {}) => {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const started = performance.now();
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await res.text();
      const ms = performance.now() - started;
      let parsed = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, ms };
    } catch (err) {
      return { status: 0, body: { error: { code: "network", message: String(err?.cause?.code ?? err?.message ?? err) } }, ms: performance.now() - started };
    }
  };
  const expect = async (status, method, path, options) => {
    const res = await call(method, path, options);
    if (res.status !== status) {
      throw new Error(`${method} ${path} answered ${res.status}, expected ${status}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res.body;
  };
  return { call, expect };
}

/** Signs up a workspace through the public API and creates an assistant: `{token, workspaceId, assistantId}`. */
export async function signUpWithAssistant(api, { workspaceName = "Bench", assistantName = "Bench assistant" } = {}) {
  const { randomBytes } = await import("node:crypto");
  const signup = await api.expect(201, "POST", "/api/v1/workspaces", {
    body: { workspace_name: workspaceName, email: `bench-${randomBytes(4).toString("hex")}@edgedesk.local`, password: randomBytes(18).toString("base64url") },
  });
  const token = signup.access_token;
  const assistant = await api.expect(201, "POST", "/api/v1/assistants", { token, body: { name: assistantName } });
  return { token, workspaceId: signup.workspace.id, assistantId: assistant.id };
}

/**
 * Polls the assistant's document list until none of `ids` is queued or processing, or
 * `timeoutMs` passes (`timedOut`), or nothing changed for `stallMs` (`stalled`: a lost queue
 * message leaves a document queued forever). Resolves with `{ready, failed: [{id, error}],
 * pending, ms}`.
 */
export async function waitForDocuments(
  api,
  token,
  assistantId,
  ids,
  { timeoutMs = 600_000, intervalMs = 500, stallMs = 180_000, onProgress = () => {} } = {},
) {
  const wanted = new Set(ids);
  const started = performance.now();
  const deadline = Date.now() + timeoutMs;
  let last = { ready: 0, failed: [], pending: wanted.size };
  let lastChange = Date.now();
  while (Date.now() < deadline) {
    const seen = new Map();
    let cursor = null;
    // Bounded: the whole list, 100 a page, up to 2,000 pages (200,000 documents).
    for (let pageNo = 0; pageNo < 2_000; pageNo++) {
      const qs = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api.expect(200, "GET", `/api/v1/assistants/${assistantId}/documents?${qs}`, { token });
      for (const doc of page.data) if (wanted.has(doc.id)) seen.set(doc.id, doc);
      cursor = page.next_cursor;
      if (!cursor) break;
    }
    const docs = [...seen.values()];
    const ready = docs.filter((d) => d.status === "ready").length;
    const failed = docs.filter((d) => d.status === "failed").map((d) => ({ id: d.id, error: d.error }));
    const pending = wanted.size - ready - failed.length;
    if (pending !== last.pending) lastChange = Date.now();
    last = { ready, failed, pending };
    onProgress(last);
    if (last.pending === 0) return { ...last, ms: performance.now() - started };
    if (Date.now() - lastChange > stallMs) return { ...last, ms: performance.now() - started, stalled: true };
    await sleep(intervalMs);
  }
  return { ...last, ms: performance.now() - started, timedOut: true };
}

/** CPU time (user + system, ms) of each thread of a process: Map of thread id to `{name, ms}`. */
export function threadCpuMs(pid) {
  const out = new Map();
  let tids = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    const ms = processCpuMs(`${pid}/task/${tid}`);
    if (ms === null) continue;
    let name = "?";
    try {
      name = readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim();
    } catch {
      // exited meanwhile
    }
    out.set(Number(tid), { name, ms });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Retrieval evaluation on a labelled FAQ set (`npm run eval` and `bench/retrieval-tune.mjs`).

/** The halves of an evaluation set; `all` is both. */
export const EVAL_HALVES = ["tune", "test", "all"];

/**
 * Which half of the set a FAQ belongs to, by a fixed rule that never looks at the queries: the
 * set's document ids sorted (code-unit order), then alternating, the 1st, 3rd, 5th… to `tune`,
 * the 2nd, 4th, 6th… to `test`. A query belongs to the half of the FAQ it is labelled with, so
 * no FAQ is seen in both. Returns Map of document id to "tune" | "test".
 */
export function evalHalves(set) {
  const ids = [...new Set(set.documents.map((d) => d.id))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(ids.map((id, i) => [id, i % 2 === 0 ? "tune" : "test"]));
}

/** The queries of `half` ("tune", "test" or "all"): a query's half is its first labelled FAQ's. */
export function queriesOfHalf(set, half, halves = evalHalves(set)) {
  if (half === "all") return set.queries;
  return set.queries.filter((q) => halves.get(q.relevant[0]) === half);
}

/** hit@1, hit@5 and MRR of 1-based ranks (0: not found). */
export function scoreRanks(ranks) {
  const n = ranks.length || 1;
  return {
    n: ranks.length,
    hit1: ranks.filter((r) => r === 1).length / n,
    hit5: ranks.filter((r) => r >= 1 && r <= 5).length / n,
    mrr: ranks.reduce((sum, r) => sum + (r > 0 ? 1 / r : 0), 0) / n,
  };
}

/**
 * The sets' reference ranking: plain BM25 (k1 1.2, b 0.75, lower-cased ASCII alphanumeric tokens,
 * no stemming, no stopwords) over each document's title + content. Returns `rank(query,
 * relevantIds)`: the 1-based rank of the first relevant document (ties by id), 0 if unmatched.
 */
export function textbookBm25(documents, { k1 = 1.2, b = 0.75 } = {}) {
  const tokenize = (text) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const docs = documents.map((d) => tokenize(`${d.title}\n\n${d.content}`));
  const avgLength = docs.reduce((sum, t) => sum + t.length, 0) / docs.length;
  const df = new Map();
  for (const t of docs) for (const w of new Set(t)) df.set(w, (df.get(w) ?? 0) + 1);
  const tfs = docs.map((t) => {
    const tf = new Map();
    for (const w of t) tf.set(w, (tf.get(w) ?? 0) + 1);
    return tf;
  });
  return (query, relevant) => {
    const terms = [...new Set(tokenize(query))];
    const ranked = documents
      .map((d, i) => {
        let score = 0;
        for (const t of terms) {
          const f = tfs[i].get(t) ?? 0;
          if (f === 0) continue;
          const n = df.get(t) ?? 0;
          const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
          score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * docs[i].length) / avgLength));
        }
        return { id: d.id, score };
      })
      .filter((r) => r.score > 0)
      .sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
    return ranked.findIndex((r) => relevant.includes(r.id)) + 1;
  };
}
