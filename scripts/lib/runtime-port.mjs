/**
 * Where the Worker's own runtime listens under `wrangler dev`. wrangler runs two workerd
 * processes: a dev proxy on the port it was given, and the runtime that runs the Worker on a
 * port it picks at random and does not print (wrangler 4's `LocalRuntimeController` starts it
 * with `port: 0`, and neither the CLI nor `unstable_startWorker` lets the user Worker have a
 * fixed port or `unsafeDirectSockets`). The runtime's entry accepts plain requests (the proxy's
 * shared-secret header is optional), so a client may connect to it directly and skip the proxy,
 * whose descriptors per WebSocket are what runs out first. Linux only (reads /proc).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

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

/** The TCP ports `pid` listens on (IPv4 and IPv6), from /proc/net/tcp* and its descriptors. */
export function listeningPorts(pid) {
  const portOf = new Map(); // socket inode -> port
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && cols[3] === "0A") portOf.set(cols[9], parseInt(cols[1].split(":").at(-1), 16));
    }
  }
  const ports = new Set();
  let fds = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  for (const fd of fds) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode && portOf.has(inode)) ports.add(portOf.get(inode));
    } catch {
      // closed meanwhile
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/**
 * The runtime's own HTTP port under `wrangler dev` (the workerd that runs the Worker, behind the
 * dev proxy): of the ports `pid` listens on, the one whose `/healthz` answers 200. wrangler picks
 * it at random and does not print it; requests there skip the proxy. Null when none answers.
 */
export async function runtimeEntryPort(pid) {
  if (!pid) return null;
  for (const port of listeningPorts(pid)) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).catch(() => null);
    if (res?.status === 200) return port;
  }
  return null;
}

/** The runtime's own port under the `wrangler dev` whose process is `wranglerPid` and whose proxy listens on `proxyPort`: null when not found. */
export async function wranglerRuntimePort(wranglerPid, proxyPort) {
  const workerds = descendantPids(wranglerPid).filter((pid) => processName(pid) === "workerd");
  for (const pid of workerds) {
    if (listeningPorts(pid).includes(proxyPort)) continue;
    const port = await runtimeEntryPort(pid);
    if (port) return port;
  }
  return null;
}

function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return null;
  }
}
