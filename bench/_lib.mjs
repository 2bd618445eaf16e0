/**
 * Helpers shared by the bench modules: paths, running wrangler, sizes and tables.
 * Files whose name starts with `_` are helpers; `run.mjs` does not run them as benches.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

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
  const proc = spawn(nodeForWrangler(), [WRANGLER_BIN, "dev", ...args], {
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

/** Pids of every descendant of `pid` (Linux: from /proc), children before grandchildren. */
export function descendantPids(pid) {
  let entries;
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const childrenOf = new Map();
  for (const name of entries) {
    try {
      // comm may hold spaces and parentheses: the fields after the last ")" are fixed.
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!childrenOf.has(ppid)) childrenOf.set(ppid, []);
      childrenOf.get(ppid).push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf.get(queue.shift()) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
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

/**
 * Which of `pids` has a TCP socket listening on `port` (IPv4 or IPv6), from /proc/net/tcp*
 * and each process's open file descriptors; null when none does.
 */
export function listeningPid(port, pids) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  const inodes = new Set();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is cols[1] ("0100007F:1F90"), st is cols[3] ("0A" = LISTEN), inode cols[9].
      if (cols.length > 9 && cols[3] === "0A" && cols[1].endsWith(`:${hexPort}`)) inodes.add(cols[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of pids) {
    let fds = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode && inodes.has(inode)) return pid;
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}
