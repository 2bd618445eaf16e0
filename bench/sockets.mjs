/**
 * `npm run bench -- sockets`: many concurrent WebSockets through the local platform.
 *
 * Starts the Worker as the benches do (`wrangler dev` on a fresh database, the soft descriptor
 * limit raised to the hard one, `MAX_OPEN_WEBSOCKETS` from that limit as `npm start` sets it),
 * creates conversations with a publishable key and opens sockets to them in batches, recording
 * after each batch how many are held, how many were refused (429 from the socket cap) or failed
 * otherwise, and the descriptors and RSS of wrangler's node process, the dev proxy and the
 * runtime. Then every socket pings, one question in a few conversations must reach every socket
 * of each, and all sockets close.
 *
 * Knobs (environment): SOCKETS_BENCH_TARGET (10000), SOCKETS_BENCH_PER_CONVERSATION (10),
 * SOCKETS_BENCH_BATCH (500 handshakes at once), SOCKETS_BENCH_CAP (the cap, or `off`; default
 * from the descriptor limit), SOCKETS_BENCH_BROADCAST (20 conversations),
 * SOCKETS_BENCH_OPEN_TIMEOUT_MS (60000 per handshake), SOCKETS_BENCH_OPEN_CAP_S (900: no new
 * batch after that many seconds of opening), SOCKETS_BENCH_DIRECT (1: connect the sockets to the
 * runtime's own port, found with `runtimeEntryPort`, instead of through the dev proxy).
 */
import WebSocket from "ws";
import { descriptorCount, descriptorLimits, raisedDescriptorLimit, socketCapFor } from "../scripts/lib/fd-limit.mjs";
import { withLocalPlatform } from "../scripts/lib/local-platform.mjs";
import { listeningPid, loadAverage, mapLimit, processMemory, runtimeEntryPort, sleep } from "./_lib.mjs";

export const description = "Concurrent WebSockets (default 10,000 over 1,000 conversations): held, refused at the cap, pings, broadcast, descriptors and RSS per process";

const TARGET = Number(process.env.SOCKETS_BENCH_TARGET ?? 10_000);
const PER_CONVERSATION = Number(process.env.SOCKETS_BENCH_PER_CONVERSATION ?? 10);
const BATCH = Number(process.env.SOCKETS_BENCH_BATCH ?? 500);
const BROADCAST_CONVERSATIONS = Number(process.env.SOCKETS_BENCH_BROADCAST ?? 20);
const CREATE_PARALLEL = 16; // POST /conversations in flight at once
const OPEN_TIMEOUT_MS = Number(process.env.SOCKETS_BENCH_OPEN_TIMEOUT_MS ?? 60_000); // handshake + the first `status` event
const OPEN_PHASE_CAP_MS = Number(process.env.SOCKETS_BENCH_OPEN_CAP_S ?? 900) * 1_000; // no new batch after this
const CHECK_TIMEOUT_MS = 60_000; // pings and broadcast
const CLOSE_TIMEOUT_MS = 60_000;
const SETTLE_MS = 2_000; // before reading memory and descriptors after a batch
const DIRECT = process.env.SOCKETS_BENCH_DIRECT === "1";

export default async function run({ tmpDir, log }) {
  const limit = raisedDescriptorLimit();
  const capSetting = process.env.SOCKETS_BENCH_CAP ?? String(socketCapFor(limit) ?? "off");
  log(`descriptor limit ${limit ?? "unknown"} (this process: ${JSON.stringify(descriptorLimits())}), MAX_OPEN_WEBSOCKETS=${capSetting}`);
  return withLocalPlatform(
    { name: "sockets", log, tmpDir, workspaceName: "Socket bench", assistantName: "Socket bench", vars: { MAX_OPEN_WEBSOCKETS: capSetting } },
    async ({ api, token, assistantId, worker }) => {
      const base = worker.base;
      const port = Number(new URL(base).port);
      const started = { date: new Date().toISOString(), load: loadAverage() };
      const procs = () => roles(worker.server, port);
      const directPort = DIRECT ? await runtimeEntryPort(procs().runtime) : null;
      if (DIRECT && !directPort) throw new Error("SOCKETS_BENCH_DIRECT=1: no port of the runtime answers /healthz");
      const socketHost = directPort ? `127.0.0.1:${directPort}` : new URL(base).host;
      log(`sockets connect to ${socketHost}${directPort ? " (the runtime's own port, no dev proxy)" : ""}`);
      await api.expect(200, "PATCH", `/api/v1/assistants/${assistantId}`, { token, body: { allowed_origins: [base] } });
      const key = await api.expect(201, "POST", "/api/v1/api-keys", { token, body: { name: "socket bench", type: "publishable", assistant_id: assistantId } });

      const conversations = Math.ceil(TARGET / PER_CONVERSATION);
      log(`creating ${conversations} conversations…`);
      const createStarted = performance.now();
      const created = await mapLimit(Array.from({ length: conversations }, (_, i) => i), CREATE_PARALLEL, async (i) => {
        const res = await fetch(`${base}/api/v1/conversations`, {
          method: "POST",
          headers: { Authorization: `Bearer ${key.key}`, Origin: base, "Content-Type": "application/json" },
          body: JSON.stringify({ assistant_id: assistantId, visitor_id: `sockets-${i}`, channel: "web" }),
        }).catch(() => null);
        if (!res || res.status !== 201) return null;
        const body = await res.json();
        const url = new URL(body.ws_url);
        url.host = socketHost;
        url.searchParams.set("token", body.token);
        return url.toString();
      });
      const urls = created.filter(Boolean);
      const createSeconds = (performance.now() - createStarted) / 1000;
      log(`created ${urls.length}/${conversations} in ${createSeconds.toFixed(1)} s`);
      const baseline = snapshot(procs(), 0);

      const sockets = [];
      const outcomes = new Map();
      const steps = [{ label: "before sockets", ...baseline }];
      const openStarted = performance.now();
      for (let from = 0; from < TARGET && worker.server.running() && performance.now() - openStarted < OPEN_PHASE_CAP_MS; from += BATCH) {
        const batch = Array.from({ length: Math.min(BATCH, TARGET - from) }, (_, k) => ({ i: from + k, url: urls[Math.floor((from + k) / PER_CONVERSATION) % urls.length] }));
        const opened = await Promise.all(batch.map(({ i, url }) => openSocket(url, i, base)));
        for (const s of opened) {
          bump(outcomes, s.outcome);
          if (s.outcome === "ok") sockets.push(s);
        }
        await sleep(SETTLE_MS);
        const held = sockets.filter((s) => s.ws.readyState === WebSocket.OPEN).length;
        const step = { label: `${from + batch.length} attempted`, ...snapshot(procs(), held) };
        steps.push(step);
        log(`${step.label}: held ${held}, outcomes ${JSON.stringify(Object.fromEntries(outcomes))}, fds ${step.fds}, load ${loadAverage()}`);
      }
      const openSeconds = (performance.now() - openStarted) / 1000;
      const live = sockets.filter((s) => s.ws.readyState === WebSocket.OPEN);

      log(`pinging ${live.length} sockets…`);
      const pongs = (await Promise.all(live.map((s) => s.expect((e) => e.type === "pong", () => s.ws.send('{"type":"ping"}'))))).filter(Boolean).length;

      const byUrl = new Map();
      for (const s of live) byUrl.set(s.url, [...(byUrl.get(s.url) ?? []), s]);
      const full = [...byUrl.values()].filter((list) => list.length === PER_CONVERSATION).slice(0, BROADCAST_CONVERSATIONS);
      log(`broadcast: a question in ${full.length} conversations of ${PER_CONVERSATION} sockets…`);
      const received = await Promise.all(
        full.map(async (list, n) => {
          const waits = list.map((s) => s.expect((e) => e.type === "response" && e.message?.sender_type === "assistant"));
          list[0].ws.send(JSON.stringify({ type: "message", content: "How do I return an e-bike?", client_id: `broadcast-${n}` }));
          return (await Promise.all(waits)).filter(Boolean).length;
        }),
      );
      const stillOpen = live.filter((s) => s.ws.readyState === WebSocket.OPEN).length;
      const afterChecks = { label: "after pings and broadcast", ...snapshot(procs(), stillOpen) };
      steps.push(afterChecks);

      log(`closing ${stillOpen} sockets…`);
      const closeStarted = performance.now();
      const closes = await Promise.all(live.map((s) => s.close()));
      const closeSeconds = (performance.now() - closeStarted) / 1000;
      await sleep(SETTLE_MS);
      steps.push({ label: "after closing", ...snapshot(procs(), 0) });
      const finished = { date: new Date().toISOString(), load: loadAverage(), serverRunning: worker.server.running() };

      const peak = steps.reduce((a, b) => (b.held >= a.held ? b : a));
      const perSocket = (field) => (peak.held > 0 ? ((peak[field] - baseline[field]) / peak.held).toFixed(2) : "-");
      return [
        {
          title: `WebSockets at scale${directPort ? " (direct to the runtime)" : ""}: ${TARGET} attempted over ${urls.length} conversations × ${PER_CONVERSATION}, ${BATCH} at a time, MAX_OPEN_WEBSOCKETS=${capSetting}`,
          columns: ["step", "held", "wrangler fds", "proxy fds", "runtime fds", "proxy RSS MiB", "runtime RSS MiB"],
          rows: steps.map((s) => [s.label, s.held, s.wranglerFds, s.proxyFds, s.runtimeFds, s.proxyRss, s.runtimeRss]),
          notes: [
            `Started ${started.date} (load ${started.load}), finished ${finished.date} (load ${finished.load}); server still running: ${finished.serverRunning}.`,
            `Descriptor limit of the runtime ${JSON.stringify(descriptorLimits(procs().runtime))}, of the proxy ${JSON.stringify(descriptorLimits(procs().proxy))}.`,
            `Conversations created in ${createSeconds.toFixed(1)} s; sockets opened in ${openSeconds.toFixed(1)} s; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}.`,
            `Per held socket at the peak (${peak.held}): proxy ${perSocket("proxyFds")} fds, runtime ${perSocket("runtimeFds")} fds, wrangler ${perSocket("wranglerFds")} fds; proxy ${perSocket("proxyRss")} MiB, runtime ${perSocket("runtimeRss")} MiB.`,
            `Pings answered ${pongs}/${live.length}; broadcast received ${received.reduce((a, b) => a + b, 0)}/${full.length * PER_CONVERSATION} in ${full.length} conversations; still open after the checks ${stillOpen}.`,
            `Closed in ${closeSeconds.toFixed(1)} s: ${JSON.stringify(countBy(closes))}.`,
          ],
        },
      ];
    },
  );
}

/** The pids of wrangler's node process, the dev proxy (listening on the port) and the runtime workerd. */
function roles(server, port) {
  const children = server.children();
  const workerds = children.filter((pid) => processMemory(pid)?.name === "workerd");
  const proxy = listeningPid(port, workerds);
  const runtime = workerds.find((pid) => pid !== proxy) ?? null;
  return { wrangler: server.proc.pid, proxy, runtime };
}

/** Descriptors and RSS (MiB) of each role now. */
function snapshot(pids, held) {
  const fds = (pid) => (pid ? (descriptorCount(pid)?.total ?? 0) : 0);
  const rss = (pid) => (pid ? Math.round((processMemory(pid)?.rssKiB ?? 0) / 1024) : 0);
  const out = { held, wranglerFds: fds(pids.wrangler), proxyFds: fds(pids.proxy), runtimeFds: fds(pids.runtime), proxyRss: rss(pids.proxy), runtimeRss: rss(pids.runtime) };
  return { ...out, fds: `${out.wranglerFds}/${out.proxyFds}/${out.runtimeFds}` };
}

/**
 * Opens one socket and waits for its first `status` event. `outcome`: "ok", "refused 429" (the
 * cap), "HTTP <status>", "error <code>" or "timed out".
 */
function openSocket(url, i, origin) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Origin: new URL(origin).origin } });
    const listeners = new Set();
    const socket = {
      url,
      i,
      ws,
      outcome: "pending",
      /** Sends with `send()` and resolves with the first event matching `match`, or null on timeout or close. */
      expect(match, send = () => {}) {
        return new Promise((done) => {
          const finish = (value) => {
            clearTimeout(timer);
            listeners.delete(onEvent);
            ws.off("close", onClose);
            done(value);
          };
          const onEvent = (e) => match(e) && finish(e);
          const onClose = () => finish(null);
          const timer = setTimeout(() => finish(null), CHECK_TIMEOUT_MS);
          listeners.add(onEvent);
          ws.once("close", onClose);
          try {
            send();
          } catch {
            finish(null);
          }
        });
      },
      /** Closes with 1000: "clean" when the server's close frame comes back in time. */
      close() {
        if (ws.readyState !== WebSocket.OPEN) return Promise.resolve("not open");
        return new Promise((done) => {
          const timer = setTimeout(() => {
            ws.terminate();
            done("timed out");
          }, CLOSE_TIMEOUT_MS);
          ws.once("close", (code) => {
            clearTimeout(timer);
            done(code === 1000 ? "clean" : `closed ${code}`);
          });
          ws.close(1000, "bench done");
        });
      },
    };
    const settle = (outcome) => {
      if (socket.outcome !== "pending") return;
      clearTimeout(timer);
      socket.outcome = outcome;
      if (outcome !== "ok") ws.terminate();
      resolve(socket);
    };
    const timer = setTimeout(() => settle("timed out"), OPEN_TIMEOUT_MS);
    ws.on("message", (data) => {
      let event;
      try {
        event = JSON.parse(data.toString("utf8"));
      } catch {
        return;
      }
      if (event.type === "status") settle("ok");
      for (const listener of [...listeners]) listener(event);
    });
    ws.on("unexpected-response", (_req, res) => {
      settle(res.statusCode === 429 ? "refused 429" : `HTTP ${res.statusCode}`);
      res.resume();
    });
    ws.on("error", (err) => settle(`error ${err.code ?? err.message}`));
    ws.on("close", (code) => settle(`closed ${code}`));
  });
}

function bump(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function countBy(values) {
  const map = new Map();
  for (const v of values) bump(map, v);
  return Object.fromEntries(map);
}
