/**
 * File descriptors of the local platform: the process limit (`ulimit -n`), raising it for the
 * servers `npm start` and the benches spawn, the cap on open WebSockets that follows from it,
 * and counting what each process holds (Linux `/proc`).
 *
 * Why it matters: behind `wrangler dev` one client WebSocket holds ~4 descriptors in the dev
 * proxy and ~2 in the runtime (bench/sockets.mjs counts them, BENCHMARKS.md "WebSockets at
 * scale"). When a process cannot `accept()` any more it exits, and every conversation goes
 * with it.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * Descriptors one open client WebSocket costs the busiest process behind `wrangler dev`: the dev
 * proxy holds ~4 (measured 3.98 per socket at 3,801 sockets; the runtime ~2), so the proxy runs
 * out first (bench/sockets.mjs, BENCHMARKS.md "WebSockets at scale").
 */
export const DESCRIPTORS_PER_SOCKET = 4;
/**
 * The share of the limit kept free for everything else: handshakes in flight and refused ones
 * not yet closed (~2,000 descriptors in the proxy with 500 handshakes at once), D1 and object
 * SQLite files, HTTP calls, the inspector.
 */
export const DESCRIPTOR_RESERVE_SHARE = 0.3;

/** `{soft, hard}` "Max open files" of a process (this one by default); null fields when unknown or unlimited. */
export function descriptorLimits(pid = "self") {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const [soft, hard] = (line ?? "").replace("Max open files", "").trim().split(/\s+/);
    const num = (v) => (/^\d+$/.test(v ?? "") ? Number(v) : null);
    return { soft: num(soft), hard: num(hard) };
  } catch {
    return { soft: null, hard: null };
  }
}

/**
 * Shell that raises the descriptor limit as far as this user may: to the kernel's ceiling
 * (`fs.nr_open`) where the process may raise its hard limit (root with CAP_SYS_RESOURCE), else
 * the soft limit to the hard one. Node already does the latter for itself at startup, so
 * wrangler and its workerd children inherit the hard limit either way; only the first step can
 * add anything, and only where permitted.
 */
const RAISE = 'ulimit -n "$(cat /proc/sys/fs/nr_open 2>/dev/null || echo 1048576)" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null';

/** The command and arguments that run `command args…` with the descriptor limit raised as far as permitted (a shell raises it, then `exec`s the command). */
export function withRaisedDescriptorLimit(command, args) {
  if (process.platform !== "linux") return { command, args };
  return { command: "/bin/sh", args: ["-c", `${RAISE}; exec "$0" "$@"`, command, ...args] };
}

/** The descriptor limit a process started through `withRaisedDescriptorLimit` gets (asked of a shell); null when unknown. */
export function raisedDescriptorLimit() {
  if (process.platform !== "linux") return descriptorLimits().soft;
  const out = spawnSync("/bin/sh", ["-c", `${RAISE}; ulimit -n`], { encoding: "utf8" }).stdout?.trim() ?? "";
  return /^\d+$/.test(out) ? Number(out) : null;
}

/**
 * `MAX_OPEN_WEBSOCKETS` for a server whose processes may each hold `limit` descriptors: what
 * leaves 30 % of them free in the busiest process (3,500 for 20,000). Null when the limit is unknown.
 */
export function socketCapFor(limit) {
  if (!limit) return null;
  return Math.max(100, Math.floor((limit * (1 - DESCRIPTOR_RESERVE_SHARE)) / DESCRIPTORS_PER_SOCKET));
}

/** How many descriptors `pid` holds open now, by kind (`socket`, `file`, `other`); null when it is gone. */
export function descriptorCount(pid) {
  let fds;
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const counts = { total: fds.length, socket: 0, file: 0, other: 0 };
  for (const fd of fds) {
    let target = "";
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      // closed meanwhile
    }
    if (target.startsWith("socket:")) counts.socket += 1;
    else if (target.startsWith("/")) counts.file += 1;
    else counts.other += 1;
  }
  return counts;
}
