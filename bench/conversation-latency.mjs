// Over 400 lines: one bench's scenario, client, measurements and report, kept together so that a run reads in one place.
/**
 * The conversation engine under load, over WebSockets, with the offline `extractive` model.
 *
 * Starts its own `wrangler dev` on a free port with a fresh database (`<tmpDir>/state`, D1
 * migrations applied first), the burst rate limits switched off and a random JWT secret from an
 * env file in the tmp folder (so the repository's `.dev.vars` and `.wrangler/state` are never
 * read or written). It serves a snapshot of the Worker taken at the start (bundled as `wrangler
 * deploy` would, with copies of wrangler.toml, the assets and the migrations in the tmp folder),
 * because `wrangler dev` reloads on any change to those, dropping every socket. Seeds a
 * workspace, an assistant, publishable keys and the demo help articles (`seed/docs/`) through
 * the public API, then measures:
 *
 *  1. latency and throughput at 1, 50 and 200 concurrent conversations, each asking its
 *     questions one after another (closed loop): send → first `delta`, send → `response`, the
 *     server's own `latency_ms`, answered messages per second;
 *  2. idle WebSockets held at once (up to 2,000, as 100 conversations × 20 sockets and as 2,000
 *     conversations × 1 socket): every socket answers a ping, the sockets of a few conversations
 *     all receive the answer to one message, and the RSS of the workerd processes before/after.
 *
 * Everything talks to 127.0.0.1 only, every wait is bounded, and the server is stopped at the
 * end, also on error. `CONVERSATION_BENCH_QUICK=1` runs a small version (a smoke test).
 */
import { randomBytes } from "node:crypto";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import {
  freePort,
  listeningPid,
  loadAverage,
  mapLimit,
  percentile,
  processCpuMs,
  processMemory,
  ROOT,
  runWrangler,
  sleep,
  startWranglerDev,
  threadCpuMs,
  waitForHttp,
} from "./_lib.mjs";

export const description = "Conversation latency (first delta, response) and throughput over WebSockets at 1/50/200 concurrent conversations, and idle sockets held (extractive model, wrangler dev)";

const HOST = "127.0.0.1";
const QUICK = process.env.CONVERSATION_BENCH_QUICK === "1";

/** Concurrent conversations × questions each, asked one after another. */
const LEVELS = QUICK
  ? [
      { concurrency: 1, questions: 5 },
      { concurrency: 10, questions: 2 },
    ]
  : [
      { concurrency: 1, questions: 20 },
      { concurrency: 50, questions: 5 },
      { concurrency: 200, questions: 3 },
    ];
/** Not recorded: compiles the Worker's hot paths, opens D1, fills caches. */
const WARM_UP = { concurrency: 10, questions: 2 };
/** How the idle sockets are spread. */
const SOCKET_LAYOUTS = QUICK
  ? [{ conversations: 10, socketsPer: 10, broadcastIn: 3 }]
  : [
      { conversations: 100, socketsPer: 20, broadcastIn: 5, reopen: true },
      { conversations: 2_000, socketsPer: 1, broadcastIn: 20 },
    ];

const HEALTH_TIMEOUT_MS = 180_000; // workerd boots in seconds, but the machine is shared
const DOCUMENT_READY_TIMEOUT_MS = 60_000;
const QUESTION_TIMEOUT_MS = 30_000; // no answer by then counts as lost
const LEVEL_TIME_CAP_MS = 240_000; // questions not started by then are skipped and counted
const SOCKET_OPEN_TIMEOUT_MS = 20_000; // open + the first `status` event
const SOCKET_PHASE_OPEN_CAP_MS = 300_000; // stop opening sockets after this
const SOCKET_CHECK_TIMEOUT_MS = 30_000; // pings and broadcast
const CLOSE_TIMEOUT_MS = 30_000;
const CREATE_PARALLEL = 16; // POST /conversations in flight at once
const CONNECT_PARALLEL = 50; // WebSocket handshakes in flight at once
const GIVE_UP_AFTER_FAILURES = 200; // consecutive failed opens: the server has stopped accepting
const SETTLE_MS = 3_000; // before reading memory after a change

/** Questions the demo help articles answer (none of them asks for a person). */
const QUESTIONS = [
  "How long does delivery take?",
  "Can I return my bike?",
  "What does the warranty cover?",
  "How long does the battery last?",
  "How do I track my order?",
  "What if my bike arrives damaged?",
  "How do I make a warranty claim?",
  "How do I look after the battery?",
  "How much does express delivery cost?",
  "How long does a full charge take?",
];

/** @param {{ tmpDir: string, log: (m: string) => void }} ctx */
export default async function run({ tmpDir, log }) {
  const port = await freePort(HOST);
  const inspectorPort = await freePort(HOST);
  const base = `http://${HOST}:${port}`;
  const persistTo = join(tmpDir, "state");
  const envFile = join(tmpDir, "bench.env");
  writeFileSync(
    envFile,
    [
      `JWT_SECRET="${randomBytes(36).toString("base64url")}"`, // 48 characters
      `ENCRYPTION_KEYS="k1:${randomBytes(32).toString("base64")}"`,
      "",
    ].join("\n"),
    { mode: 0o600 },
  );

  // `wrangler dev` reloads the Worker when its sources, its config or its assets change, which
  // drops every socket and Durable Object: the bench serves a snapshot taken now instead (the
  // Worker bundled as `wrangler deploy` would, with copies of wrangler.toml, the assets and the
  // D1 migrations), so edits made to the working tree during the run cannot disturb it.
  log("bundling the Worker (wrangler deploy --dry-run) and taking a snapshot of its config…");
  const workerDir = join(tmpDir, "worker");
  const bundleDir = join(workerDir, "bundle");
  await runWrangler(["deploy", "--dry-run", "--outdir", bundleDir]);
  const config = snapshotConfig(workerDir, relative(workerDir, bundleEntry(bundleDir)));

  log(`applying D1 migrations to ${persistTo}…`);
  await runWrangler(["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo, "--config", config]);

  const serverLog = new ServerLog();
  log(`starting wrangler dev on ${base} (load ${loadAverage()})…`);
  const server = startWranglerDev(
    [
      "--config", config,
      "--no-bundle",
      "--port", String(port),
      "--ip", HOST,
      "--inspector-port", String(inspectorPort),
      "--persist-to", persistTo,
      "--env-file", envFile,
      "--var", "RATE_LIMIT_BURST_PER_MINUTE:off",
      "--var", "RATE_LIMIT_VISITOR_BURST_PER_MINUTE:off",
      "--var", "RATE_LIMIT_VISITOR_CONVERSATIONS_PER_HOUR:off",
      "--var", "RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE:off",
      "--var", "RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE:off",
      "--var", "MODEL_TOKEN_BUDGET_STARTER:off",
      // As `npm start` runs it: wrangler dev prints its own line per request.
      "--var", "ACCESS_LOG:off",
      "--show-interactive-dev-session=false",
    ],
    { onLine: (line) => serverLog.add(line) },
  );
  try {
    await waitForHttp(`${base}/healthz`, { timeoutMs: HEALTH_TIMEOUT_MS, alive: server.running });
    const bench = new Bench({ base, port, server, serverLog, log });
    return await bench.run();
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- last lines of wrangler dev ---\n${server.tail().split("\n").slice(-25).join("\n")}`;
    throw err;
  } finally {
    const stopped = await server.stop();
    log(`wrangler dev stopped (${stopped.signal ?? `exit ${stopped.code}`}${stopped.killedLeftovers ? `, ${stopped.killedLeftovers} leftover process(es) killed` : ""}).`);
  }
}

// ---------------------------------------------------------------------------------------------

class Bench {
  constructor({ base, port, server, serverLog, log }) {
    this.base = base;
    this.port = port;
    this.origin = base;
    this.server = server;
    this.serverLog = serverLog;
    this.log = log;
    this.keyCount = 0;
    this.rewrittenWsHosts = new Set();
  }

  async run() {
    const started = { date: new Date().toISOString(), load: loadAverage() };
    this.timeline = [];
    const seed = await this.seed();
    await this.mark("after seeding");
    const wrangler = JSON.parse(readFileSync(join(ROOT, "node_modules", "wrangler", "package.json"), "utf8")).version;

    this.log(`warm-up: ${WARM_UP.concurrency} conversations × ${WARM_UP.questions} questions`);
    await this.load({ ...WARM_UP, label: "warm-up" });
    await this.mark("after warm-up");

    const levels = [];
    for (const level of LEVELS) {
      this.log(`load: ${level.concurrency} concurrent conversation(s) × ${level.questions} questions (load ${loadAverage()})`);
      const result = await this.load({ ...level, label: `c${level.concurrency}` });
      levels.push(result);
      await this.mark(`after ${level.concurrency} concurrent`);
      this.log(
        `  answered ${result.answered}/${result.asked}, response p50 ${fmt(result.response.p50)} ms p99 ${fmt(result.response.p99)} ms, ${fmt(result.perSecond, 1)} msg/s`,
      );
    }

    const sockets = [];
    for (const layout of SOCKET_LAYOUTS) {
      this.log(`sockets: ${layout.conversations} conversation(s) × ${layout.socketsPer} socket(s) (load ${loadAverage()})`);
      const result = await this.socketPhase(layout);
      sockets.push(result);
      this.timeline.push({ label: `after ${layout.conversations} × ${layout.socketsPer} sockets closed`, mem: result.mem.closed });
      this.log(`  held ${result.held}/${result.target}, pongs ${result.pongs}, broadcast ${result.broadcastReceived}/${result.broadcastExpected}`);
    }
    const finished = { load: loadAverage() };
    return this.tables({ started, finished, seed, wrangler, levels, sockets });
  }

  // ---- HTTP ------------------------------------------------------------------------------

  async api(method, path, { token, body, form, origin } = {}) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    if (origin) headers.Origin = origin;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const started = performance.now();
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        body: form ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal: AbortSignal.timeout(QUESTION_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      return { status: res.status, body: parsed, ms: performance.now() - started };
    } catch (err) {
      return { status: 0, body: { error: { code: "network", message: String(err?.cause?.code ?? err?.message ?? err) } }, ms: performance.now() - started };
    }
  }

  async expectApi(expected, method, path, options) {
    const res = await this.api(method, path, options);
    if (res.status !== expected) {
      throw new Error(`${method} ${path} answered ${res.status}, expected ${expected}: ${JSON.stringify(res.body).slice(0, 300)}`);
    }
    return res.body;
  }

  /** A new publishable key of the bench assistant; one per phase keeps each far from the monthly quota. */
  async newWidgetKey() {
    this.keyCount += 1;
    const key = await this.expectApi(201, "POST", "/api/v1/api-keys", {
      token: this.token,
      body: { name: `bench widget key ${this.keyCount}`, type: "publishable", assistant_id: this.assistantId },
    });
    return key.key;
  }

  // ---- seeding, through the public API ---------------------------------------------------

  async seed() {
    const password = randomBytes(18).toString("base64url");
    const signup = await this.expectApi(201, "POST", "/api/v1/workspaces", {
      body: { workspace_name: "Bench", email: `bench-${randomBytes(4).toString("hex")}@edgedesk.local`, password },
    });
    this.token = signup.access_token;
    const assistant = await this.expectApi(201, "POST", "/api/v1/assistants", {
      token: this.token,
      body: { name: "Bench assistant", allowed_origins: [this.origin] },
    });
    this.assistantId = assistant.id;
    this.log(`seeded workspace ${signup.workspace.id}, assistant ${assistant.id}`);

    const docsDir = join(ROOT, "seed", "docs");
    const docs = readdirSync(docsDir)
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((file) => {
        const content = readFileSync(join(docsDir, file), "utf8");
        return { file, title: /^#\s+(.+)$/m.exec(content)?.[1]?.trim() ?? file, content };
      });
    const knowledge = { articles: docs.length, ready: 0, state: "ready", detail: "" };
    const queued = [];
    for (const doc of docs) {
      const path = `/api/v1/assistants/${this.assistantId}/documents`;
      let res = await this.api("POST", path, { token: this.token, body: { title: doc.title, content: doc.content } });
      if (res.status === 400) {
        // The same article as a Markdown file upload (multipart `file`), the API's other way in.
        const error = res.body?.error;
        const issue = error?.details?.issues?.[0];
        knowledge.detail += `JSON {title, content} refused for ${doc.file} (HTTP 400 ${error?.code ?? ""}${issue ? `: ${issue.path?.join(".") || "body"} ${issue.message}` : ""}), uploaded as a multipart file instead; `;
        const form = new FormData();
        form.set("file", new Blob([doc.content], { type: "text/markdown" }), doc.file);
        form.set("title", doc.title);
        res = await this.api("POST", path, { token: this.token, form });
      }
      if (res.status === 404 || res.status === 405 || res.status === 501) {
        knowledge.state = "unavailable";
        knowledge.detail = `POST /api/v1/assistants/:id/documents answered ${res.status}`;
        this.log(`the documents API is not available (${res.status}): the bench runs without knowledge (answers are "I don't know" and escalate)`);
        return knowledge;
      }
      if (res.status !== 202) {
        const error = res.body?.error;
        const issue = error?.details?.issues?.[0];
        const why = issue ? `: ${issue.path?.join(".") || "body"} ${issue.message}` : "";
        knowledge.detail += `${doc.file}: HTTP ${res.status}${error ? ` ${error.code} (${error.message}${why})` : ""}; `;
        continue;
      }
      queued.push(res.body.id);
    }
    const deadline = Date.now() + DOCUMENT_READY_TIMEOUT_MS;
    const pending = new Set(queued);
    while (pending.size > 0 && Date.now() < deadline) {
      for (const id of [...pending]) {
        const res = await this.api("GET", `/api/v1/documents/${id}`, { token: this.token });
        if (res.status === 200 && (res.body.status === "ready" || res.body.status === "failed")) {
          pending.delete(id);
          if (res.body.status === "ready") knowledge.ready += 1;
          else knowledge.detail += `${id} failed: ${res.body.error ?? "?"} `;
        }
      }
      if (pending.size > 0) await sleep(500);
    }
    if (pending.size > 0) knowledge.detail += `${pending.size} not ready after ${DOCUMENT_READY_TIMEOUT_MS / 1000} s `;
    knowledge.state = knowledge.ready === docs.length ? "ready" : knowledge.ready > 0 ? "partial" : "failed";
    this.log(`knowledge: ${knowledge.ready}/${docs.length} articles ready ${knowledge.detail}`);
    return knowledge;
  }

  // ---- conversations and sockets ---------------------------------------------------------

  /** Creates `count` conversations with a publishable key; returns the created ones and what failed. */
  async createConversations(count, key, label) {
    const failures = new Map();
    const createMs = [];
    const deadline = performance.now() + SOCKET_PHASE_OPEN_CAP_MS;
    const results = await mapLimit(Array.from({ length: count }, (_, i) => i), CREATE_PARALLEL, async (i) => {
      if (performance.now() > deadline) {
        bump(failures, "not attempted (time cap)");
        return null;
      }
      const res = await this.api("POST", "/api/v1/conversations", {
        token: key,
        origin: this.origin,
        body: { assistant_id: this.assistantId, visitor_id: `bench-${label}-${i}`, channel: "web" },
      });
      if (res.status !== 201) {
        bump(failures, `HTTP ${res.status} ${res.body?.error?.code ?? ""}`.trim());
        return null;
      }
      createMs.push(res.ms);
      return { id: res.body.conversation_id, url: this.socketUrl(res.body.ws_url, res.body.token) };
    });
    return { conversations: results.filter(Boolean), failures, createMs };
  }

  /** The socket URL on 127.0.0.1 whatever host the server put in `ws_url`. */
  socketUrl(wsUrl, token) {
    const u = new URL(wsUrl);
    if (u.host !== `${HOST}:${new URL(this.base).port}`) {
      this.rewrittenWsHosts.add(u.host);
      u.host = new URL(this.base).host;
    }
    u.searchParams.set("token", token);
    return u.toString();
  }

  /** Opens sockets for `urls` (CONNECT_PARALLEL at a time, bounded in time and failures). */
  async openSockets(urls) {
    const failures = new Map();
    const deadline = performance.now() + SOCKET_PHASE_OPEN_CAP_MS;
    let consecutiveFailures = 0;
    const sockets = await mapLimit(urls, CONNECT_PARALLEL, async (url) => {
      if (performance.now() > deadline || consecutiveFailures >= GIVE_UP_AFTER_FAILURES) {
        bump(failures, "not attempted (time cap or server refusing)");
        return null;
      }
      const socket = new BenchSocket(url);
      const outcome = await socket.ready;
      if (outcome !== "ok") {
        consecutiveFailures += 1;
        bump(failures, outcome);
        socket.terminate();
        return null;
      }
      consecutiveFailures = 0;
      return socket;
    });
    return { sockets, failures };
  }

  /** Closes every socket with 1000 and waits for the server's close frame. */
  async closeSockets(sockets) {
    const open = sockets.filter((s) => s && !s.closed);
    const started = performance.now();
    const outcomes = await Promise.all(open.map((s) => s.close(CLOSE_TIMEOUT_MS)));
    return {
      total: open.length,
      clean: outcomes.filter((o) => o === "clean").length,
      other: countBy(outcomes.filter((o) => o !== "clean")),
      ms: performance.now() - started,
    };
  }

  // ---- 1. latency and throughput ---------------------------------------------------------

  async load({ concurrency, questions, label }) {
    const key = await this.newWidgetKey();
    const logBefore = this.serverLog.snapshot();
    const created = await this.createConversations(concurrency, key, label);
    const opened = await this.openSockets(created.conversations.map((c) => c.url));
    const sockets = opened.sockets.filter(Boolean);

    const cpuBefore = this.serverCpu();
    const clientCpuBefore = process.cpuUsage();
    const loadBefore = loadAverage();
    const results = [];
    // Questions of conversations that could not be created or connected count as not asked.
    let skipped = (concurrency - sockets.length) * questions;
    const start = performance.now();
    const deadline = start + LEVEL_TIME_CAP_MS;
    await Promise.all(
      sockets.map(async (socket, c) => {
        for (let q = 0; q < questions; q++) {
          if (performance.now() > deadline || socket.closed) {
            skipped += questions - q;
            return;
          }
          const content = QUESTIONS[(c + q) % QUESTIONS.length];
          const result = await ask(socket, content, `${label}-${c}-${q}`, QUESTION_TIMEOUT_MS);
          results.push(result);
          if (result.timedOut) {
            // A late answer would be taken for the next question's: this conversation stops here.
            skipped += questions - q - 1;
            return;
          }
        }
      }),
    );
    const answeredResults = results.filter((r) => r.responseAt !== null);
    const end = answeredResults.length > 0 ? Math.max(...answeredResults.map((r) => r.responseAt)) : performance.now();
    const wallMs = end - start;
    const cpu = Bench.cpuBetween(cpuBefore, this.serverCpu());
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const loadAfter = loadAverage();
    const closed = await this.closeSockets(sockets);

    const firstDelta = answeredResults.filter((r) => r.firstDeltaAt !== null).map((r) => r.firstDeltaAt - r.sentAt);
    const response = answeredResults.map((r) => r.responseAt - r.sentAt);
    const serverLatency = answeredResults.map((r) => r.message.latency_ms).filter((n) => typeof n === "number");
    const grounded = answeredResults.filter((r) => (r.message.sources ?? []).length > 0).length;
    const statuses = countBy(answeredResults.map((r) => r.message.status));
    return {
      label,
      concurrency,
      questions,
      conversationsWanted: concurrency,
      conversationsCreated: created.conversations.length,
      createFailures: created.failures,
      createMs: created.createMs,
      socketsOpened: sockets.length,
      openFailures: opened.failures,
      asked: results.length,
      skipped,
      answered: answeredResults.length,
      timedOut: results.filter((r) => r.timedOut).length,
      closedMidway: results.filter((r) => r.closed).length,
      sendFailed: results.filter((r) => r.sendFailed).length,
      noAck: answeredResults.filter((r) => r.ackAt === null).length,
      noDelta: answeredResults.filter((r) => r.firstDeltaAt === null).length,
      errorEvents: countBy(results.flatMap((r) => r.errors)),
      statuses,
      grounded,
      firstDelta: stats(firstDelta),
      response: stats(response),
      serverLatency: stats(serverLatency),
      wallMs,
      perSecond: answeredResults.length / (wallMs / 1000),
      cpu,
      clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
      loadBefore,
      loadAfter,
      closed,
      serverLog: this.serverLog.since(logBefore),
    };
  }

  // ---- 2. idle sockets -------------------------------------------------------------------

  async socketPhase({ conversations, socketsPer, broadcastIn, reopen = false }) {
    const label = `s${conversations}x${socketsPer}`;
    const key = await this.newWidgetKey();
    const logBefore = this.serverLog.snapshot();
    const loadBefore = loadAverage();
    const memBefore = this.workerdMemory();

    const created = await this.createConversations(conversations, key, label);
    await sleep(SETTLE_MS);
    const memCreated = this.workerdMemory();

    const urls = created.conversations.flatMap((c, ci) => Array.from({ length: socketsPer }, () => ({ url: c.url, ci })));
    const openStarted = performance.now();
    const opened = await this.openSockets(urls.map((u) => u.url));
    const openMs = performance.now() - openStarted;
    const byConversation = new Map();
    opened.sockets.forEach((socket, i) => {
      if (!socket) return;
      const ci = urls[i].ci;
      if (!byConversation.has(ci)) byConversation.set(ci, []);
      byConversation.get(ci).push(socket);
    });
    const sockets = opened.sockets.filter(Boolean);
    await sleep(SETTLE_MS);
    const memOpen = this.workerdMemory();
    const heldAfterOpen = sockets.filter((s) => !s.closed).length;

    // Every socket alive: a ping each (answered by the Durable Object's auto-response).
    const pongs = await Promise.all(sockets.map((s) => s.ping(SOCKET_CHECK_TIMEOUT_MS)));

    // Fan-out: one message in a few fully-open conversations; every socket of those must get the response.
    const full = [...byConversation.entries()].filter(([, list]) => list.length === socketsPer).slice(0, broadcastIn);
    const broadcast = await Promise.all(
      full.map(async ([ci, list]) => {
        const waits = list.map((s) => s.waitFor((e) => e.type === "response" && e.message?.sender_type === "assistant", SOCKET_CHECK_TIMEOUT_MS));
        list[0].send({ type: "message", content: QUESTIONS[ci % QUESTIONS.length], client_id: `${label}-broadcast-${ci}` });
        return (await Promise.all(waits)).filter(Boolean).length;
      }),
    );
    const heldAfterChecks = sockets.filter((s) => !s.closed).length;
    const unexpectedCloses = countBy(sockets.filter((s) => s.closed).map((s) => `closed ${s.closeInfo.code}`));

    const closed = await this.closeSockets(sockets);
    await sleep(SETTLE_MS);
    const memClosed = this.workerdMemory();

    // The same sockets again: if memory is held per live socket and given back (or reused) on
    // close, a second round does not grow RSS much further.
    let again = null;
    if (reopen) {
      const second = await this.openSockets(urls.map((u) => u.url));
      const live = second.sockets.filter(Boolean);
      await sleep(SETTLE_MS);
      const memOpen2 = this.workerdMemory();
      const closed2 = await this.closeSockets(live);
      await sleep(SETTLE_MS);
      again = { held: live.length, failures: second.failures, memOpen: memOpen2, memClosed: this.workerdMemory(), closed: closed2 };
    }

    const runtimePids = (mem) => mem.each.filter((m) => m.role === "runtime").map((m) => m.pid).join(",");
    return {
      label,
      restarted: new Set(["before", "created", "open", "closed"].map((k) => runtimePids({ before: memBefore, created: memCreated, open: memOpen, closed: memClosed }[k]))).size > 1,
      conversations,
      socketsPer,
      target: conversations * socketsPer,
      conversationsCreated: created.conversations.length,
      createFailures: created.failures,
      createMs: created.createMs,
      held: heldAfterOpen,
      heldAfterChecks,
      openFailures: opened.failures,
      openMs,
      unexpectedCloses,
      pongs: pongs.filter(Boolean).length,
      broadcastConversations: full.length,
      broadcastExpected: full.reduce((sum, [, list]) => sum + list.length, 0),
      broadcastReceived: broadcast.reduce((a, b) => a + b, 0),
      mem: { before: memBefore, created: memCreated, open: memOpen, closed: memClosed },
      again,
      closed,
      loadBefore,
      loadAfter: loadAverage(),
      serverLog: this.serverLog.since(logBefore),
    };
  }

  // ---- the server's processes ------------------------------------------------------------

  /** Notes the workerd memory now, for the timeline (after a pause for things to settle). */
  async mark(label) {
    await sleep(SETTLE_MS);
    this.timeline.push({ label, mem: this.workerdMemory() });
  }

  workerdPids() {
    return this.server
      .children()
      .map((pid) => processMemory(pid))
      .filter((m) => m && m.name === "workerd")
      .map((m) => m.pid);
  }

  /**
   * What each workerd process is: `proxy` is wrangler's dev proxy, the one listening on the
   * public port, which relays every request and socket; `runtime` runs the Worker, its
   * Durable Objects and the local D1, R2 and queues.
   */
  workerdRoles() {
    const pids = this.workerdPids();
    const proxy = listeningPid(this.port, pids);
    return pids.map((pid) => ({ pid, role: pid === proxy ? "proxy" : "runtime" }));
  }

  /** RSS of the workerd processes of our wrangler dev, in KiB: total, by role, and per pid. */
  workerdMemory() {
    const each = this.workerdRoles()
      .map(({ pid, role }) => ({ ...processMemory(pid), role }))
      .filter((m) => m.name);
    const sum = (role) => each.filter((m) => !role || m.role === role).reduce((total, m) => total + m.rssKiB, 0);
    return { totalKiB: sum(), runtimeKiB: sum("runtime"), proxyKiB: sum("proxy"), each };
  }

  /** CPU time used so far by each workerd process and by wrangler's own Node process, in ms. */
  serverCpu() {
    const roles = this.workerdRoles();
    const each = new Map(roles.map(({ pid }) => [pid, processCpuMs(pid)]));
    const threads = new Map();
    for (const { pid, role } of roles) {
      if (role === "runtime") for (const [tid, t] of threadCpuMs(pid)) threads.set(tid, t);
    }
    return { each, threads, roles: new Map(roles.map(({ pid, role }) => [pid, role])), wrangler: processCpuMs(this.server.proc.pid) };
  }

  /** CPU used between two `serverCpu()` readings: workerd total, per workerd pid, wrangler. */
  static cpuBetween(before, after) {
    const each = [...after.each].map(([pid, ms]) => [pid, before.each.has(pid) && ms !== null ? ms - before.each.get(pid) : null, after.roles.get(pid)]);
    const known = each.every(([, ms]) => ms !== null);
    const runtimePids = (reading) => [...reading.roles].filter(([, role]) => role === "runtime").map(([pid]) => pid).join(",");
    return {
      workerd: known ? each.reduce((sum, [, ms]) => sum + ms, 0) : null,
      runtime: known ? each.filter(([, , role]) => role === "runtime").reduce((sum, [, ms]) => sum + ms, 0) : null,
      restarted: runtimePids(before) !== runtimePids(after),
      // The runtime's busiest thread during the run: its CPU ms and its share of the runtime's CPU.
      busiestThread: [...after.threads]
        .map(([tid, t]) => ({ tid, name: t.name, ms: t.ms - (before.threads.get(tid)?.ms ?? 0) }))
        .sort((a, b) => b.ms - a.ms)[0] ?? null,
      each,
      wrangler: before.wrangler !== null && after.wrangler !== null ? after.wrangler - before.wrangler : null,
    };
  }

  // ---- tables ----------------------------------------------------------------------------

  tables({ started, finished, seed, wrangler, levels, sockets }) {
    const noKnowledge = seed.state !== "ready";
    const latency = {
      title: "Conversation latency over WebSockets, measured at the client (ms)",
      columns: [
        "concurrent conversations",
        "questions each",
        "answered / asked",
        "first delta p50",
        "p95",
        "p99",
        "response p50",
        "p95",
        "p99",
        "server latency_ms p50",
        "p99",
      ],
      rows: levels.map((l) => [
        l.concurrency,
        l.questions,
        `${l.answered} / ${l.asked + l.skipped}`,
        fmt(l.firstDelta.p50),
        fmt(l.firstDelta.p95),
        fmt(l.firstDelta.p99),
        fmt(l.response.p50),
        fmt(l.response.p95),
        fmt(l.response.p99),
        fmt(l.serverLatency.p50),
        fmt(l.serverLatency.p99),
      ]),
      notes: [
        `Client: one Node ${process.version} process on the same machine (global WebSocket), over loopback to \`wrangler dev\` ${wrangler} (workerd), not the Cloudflare edge. Closed loop: each conversation sends its next question when the previous answer's \`response\` arrived. Percentiles are nearest-rank; at concurrency 1 (20 samples) p95 and p99 are the slowest one or two samples.`,
        `"server latency_ms" is the answer's own field: from the question's arrival (its created_at) to the end of the answer inside the Durable Object, so it leaves out the Worker's routing, the socket and the client.`,
        `Knowledge: ${noKnowledge ? `none (${seed.detail || seed.state}); every answer is the extractive model's "I couldn't find this…" line, and each conversation escalates (no_match) after its first answer` : `${seed.ready}/${seed.articles} help articles from seed/docs ready`}. Answers citing a source: ${levels.map((l) => `${l.grounded}/${l.answered}`).join(", ")}.`,
        `Started ${started.date}; load average (1, 5, 15 min) at start ${started.load}, at the end ${finished.load}. A warm-up of ${WARM_UP.concurrency} conversations × ${WARM_UP.questions} questions ran first and is not counted.`,
      ],
    };
    const throughput = {
      title: "Throughput and cost per answered message",
      columns: [
        "concurrent conversations",
        "answered",
        "wall s",
        "messages/s",
        "workerd CPU ms / message",
        "workerd CPU % of wall",
        "client CPU ms / message",
        "load before",
        "load after",
      ],
      rows: levels.map((l) => [
        l.concurrency,
        l.answered,
        fmt(l.wallMs / 1000, 2),
        fmt(l.perSecond, 1),
        l.cpu.workerd === null ? "n/a" : fmt(l.cpu.workerd / Math.max(1, l.answered), 2),
        l.cpu.workerd === null ? "n/a" : `${fmt((l.cpu.workerd / l.wallMs) * 100)}%`,
        fmt(l.clientCpuMs / Math.max(1, l.answered), 2),
        l.loadBefore,
        l.loadAfter,
      ]),
      notes: [
        "messages/s = answered questions / wall time from the first send to the last response. workerd CPU = user + system time of the workerd processes of this `wrangler dev` (from /proc/<pid>/stat) during the run, divided by the answers; it includes everything they did meanwhile (D1 outbox writes, analytics and escalation queue consumers). \"% of wall\" is that CPU time over the wall time: 100% is one core busy for the whole run. Client CPU is this Node process (which also runs on the same 2 cores).",
        `CPU per process during each run (ms): ${levels.map((l) => `${l.concurrency} concurrent: ${l.cpu.each.map(([pid, ms, role]) => `workerd ${role} (${pid}) ${fmt(ms)}`).join(", ")}, wrangler's node ${fmt(l.cpu.wrangler)}`).join("; ")}. Linux counts CPU time in 10 ms ticks.`,
        `Busiest thread of the runtime process (from /proc/<pid>/task): ${levels.map((l) => (l.cpu.busiestThread && l.cpu.runtime ? `${l.concurrency} concurrent: ${fmt(l.cpu.busiestThread.ms)} of ${fmt(l.cpu.runtime)} ms (${fmt((l.cpu.busiestThread.ms / l.cpu.runtime) * 100)}%, ${fmt((l.cpu.busiestThread.ms / l.wallMs) * 100)}% of wall)` : `${l.concurrency} concurrent: n/a`)).join("; ")}.`,
      ],
    };
    const failures = {
      title: "Errors and lost messages under load",
      columns: ["phase", "conversations created / wanted", "sockets opened", "timed out (lost)", "closed mid-answer", "no ack", "no delta before response", "error events", "answer statuses", "server restarted", "server log"],
      rows: levels.map((l) => [
        `${l.concurrency} concurrent`,
        `${l.conversationsCreated} / ${l.conversationsWanted}${describeCounts(l.createFailures)}`,
        `${l.socketsOpened}${describeCounts(l.openFailures)}`,
        l.timedOut + l.skipped,
        l.closedMidway,
        l.noAck,
        l.noDelta,
        describeCounts(l.errorEvents, "none"),
        describeCounts(l.statuses, "none"),
        l.cpu.restarted || l.serverLog.counts.has(RELOADED) ? "yes" : "no",
        l.serverLog.summary(),
      ]),
      notes: [
        `Lost = no \`response\` within ${QUESTION_TIMEOUT_MS / 1000} s of the send, plus questions not started within the ${LEVEL_TIME_CAP_MS / 1000} s cap. "server log" counts wrangler's request lines by status class and the Worker's own warn/error log lines.`,
        ...(this.rewrittenWsHosts.size > 0 ? [`ws_url named ${[...this.rewrittenWsHosts].join(", ")}; the bench connected to ${this.base} instead.`] : []),
      ],
    };
    const idle = {
      title: "Idle WebSockets held at once",
      columns: [
        "layout",
        "sockets held / target",
        "open s",
        "pong / held",
        "broadcast received / expected",
        "runtime RSS MiB: before → conversations → sockets open → closed",
        "proxy RSS MiB (same steps)",
        "KiB per socket: runtime / proxy",
        "closed cleanly",
        "server restarted",
      ],
      rows: sockets.map((s) => [
        `${s.conversations} conv × ${s.socketsPer}`,
        `${s.held} / ${s.target}`,
        fmt(s.openMs / 1000, 1),
        `${s.pongs} / ${s.held}`,
        `${s.broadcastReceived} / ${s.broadcastExpected} (${s.broadcastConversations} conv)`,
        ["before", "created", "open", "closed"].map((k) => mib(s.mem[k].runtimeKiB)).join(" → "),
        ["before", "created", "open", "closed"].map((k) => mib(s.mem[k].proxyKiB)).join(" → "),
        s.held > 0
          ? `${fmt((s.mem.open.runtimeKiB - s.mem.created.runtimeKiB) / s.held)} / ${fmt((s.mem.open.proxyKiB - s.mem.created.proxyKiB) / s.held)}`
          : "n/a",
        `${s.closed.clean} / ${s.closed.total}`,
        s.restarted || s.serverLog.counts.has(RELOADED) ? "yes" : "no",
      ]),
      notes: [
        "Sockets are opened 50 at a time, each counted when its first `status` event arrives; then every socket sends `{\"type\":\"ping\"}` (answered by the Durable Object's WebSocket auto-response) and, in a few conversations whose sockets all opened, one socket sends a question: every socket of those conversations must receive the `response`. RSS is VmRSS from /proc/<pid>/status of the two workerd processes under this `wrangler dev`, read 3 s after each step: \"runtime\" runs the Worker, its Durable Objects and the local D1/R2/queues; \"proxy\" is wrangler's dev proxy (the process listening on the port), which relays every request and WebSocket and does not exist on Cloudflare. KiB per socket = (sockets open − conversations) / held, per process.",
        ...sockets.map(
          (s) =>
            `${s.conversations} × ${s.socketsPer}: conversations created ${s.conversationsCreated}/${s.conversations}${describeCounts(s.createFailures)} (POST p50 ${fmt(percentile(s.createMs, 50))} ms, p99 ${fmt(percentile(s.createMs, 99))} ms); open failures ${describeCounts(s.openFailures, "none")}; still open after the checks ${s.heldAfterChecks}/${s.held}${Object.keys(s.unexpectedCloses).length ? ` (${describeCounts(s.unexpectedCloses)})` : ""}; close ${fmt(s.closed.ms / 1000, 1)} s${Object.keys(s.closed.other).length ? `, not clean: ${describeCounts(s.closed.other)}` : ""}; workerd at sockets open ${s.mem.open.each.map((m) => `${m.role} ${m.pid}: ${mib(m.rssKiB)} MiB (peak ${mib(m.hwmKiB)})`).join(", ")}; server log ${s.serverLog.summary()}; load ${s.loadBefore} → ${s.loadAfter}.${s.again ? ` Second round on the same conversations: ${s.again.held}/${s.target} opened${describeCounts(s.again.failures)}, runtime RSS ${mib(s.again.memOpen.runtimeKiB)} MiB open → ${mib(s.again.memClosed.runtimeKiB)} MiB closed, proxy ${mib(s.again.memOpen.proxyKiB)} → ${mib(s.again.memClosed.proxyKiB)} MiB, closed cleanly ${s.again.closed.clean}/${s.again.closed.total}.` : ""}`,
        ),
      ],
    };
    const memory = {
      title: "workerd memory over the run (RSS MiB)",
      columns: ["after", "runtime", "proxy", "total"],
      rows: this.timeline.map(({ label, mem }) => [label.replace(/^after /, ""), mib(mem.runtimeKiB), mib(mem.proxyKiB), mib(mem.totalKiB)]),
      notes: ["Read 3 s after each step. Durable Objects of finished conversations may stay in memory, and memory freed by the V8 heap or the allocator is not necessarily returned to the OS, so this shows a high-water trend rather than what is live."],
    };
    return [latency, throughput, failures, idle, memory];
  }
}

// ---------------------------------------------------------------------------------------------

/** A client WebSocket of a conversation, with its events fanned out to listeners. */
class BenchSocket {
  constructor(url) {
    this.listeners = new Set();
    this.closeListeners = new Set();
    this.closed = false;
    this.closeInfo = null;
    this.ws = new WebSocket(url);
    this.ready = new Promise((resolve) => {
      const timer = setTimeout(() => resolve("timed out opening"), SOCKET_OPEN_TIMEOUT_MS);
      const onEvent = (e) => {
        if (e.type !== "status") return;
        clearTimeout(timer);
        this.listeners.delete(onEvent);
        resolve("ok");
      };
      this.listeners.add(onEvent);
      this.closeListeners.add(() => {
        clearTimeout(timer);
        resolve(`closed while opening (${this.closeInfo.code})`);
      });
    });
    this.ws.addEventListener("message", (ev) => {
      const at = performance.now();
      let event;
      try {
        event = JSON.parse(typeof ev.data === "string" ? ev.data : Buffer.from(ev.data).toString("utf8"));
      } catch {
        event = { type: "unparseable" };
      }
      for (const listener of [...this.listeners]) listener(event, at);
    });
    this.ws.addEventListener("close", (ev) => {
      this.closed = true;
      this.closeInfo = { code: ev.code, reason: ev.reason, wasClean: ev.wasClean };
      for (const listener of [...this.closeListeners]) listener();
    });
    this.ws.addEventListener("error", () => {
      // a `close` event follows
    });
  }

  send(frame) {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolves with the first event matching `match`, or null on timeout or close. */
  waitFor(match, timeoutMs) {
    return new Promise((resolve) => {
      const done = (value) => {
        clearTimeout(timer);
        this.listeners.delete(onEvent);
        this.closeListeners.delete(onClose);
        resolve(value);
      };
      const onEvent = (e) => match(e) && done(e);
      const onClose = () => done(null);
      const timer = setTimeout(() => done(null), timeoutMs);
      if (this.closed) return done(null);
      this.listeners.add(onEvent);
      this.closeListeners.add(onClose);
    });
  }

  /** True when a `pong` comes back in time. */
  async ping(timeoutMs) {
    if (this.closed) return false;
    const pong = this.waitFor((e) => e.type === "pong", timeoutMs);
    this.send('{"type":"ping"}');
    return (await pong) !== null;
  }

  /** Closes with 1000; "clean" when the server's close frame comes back. */
  close(timeoutMs) {
    if (this.closed) return Promise.resolve("already closed");
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.terminate();
        resolve("close timed out");
      }, timeoutMs);
      this.closeListeners.add(() => {
        clearTimeout(timer);
        resolve(this.closeInfo.wasClean && this.closeInfo.code === 1000 ? "clean" : `closed ${this.closeInfo.code}`);
      });
      this.ws.close(1000, "bench done");
    });
  }

  terminate() {
    try {
      this.ws.close();
    } catch {
      // already closing
    }
  }
}

/** Sends one question and follows it to its `response` (or a timeout, or the socket closing). */
function ask(socket, content, clientId, timeoutMs) {
  return new Promise((resolve) => {
    const r = {
      sentAt: 0,
      ackAt: null,
      firstDeltaAt: null,
      responseAt: null,
      deltas: 0,
      errors: [],
      message: null,
      timedOut: false,
      closed: false,
      sendFailed: false,
    };
    const finish = () => {
      clearTimeout(timer);
      socket.listeners.delete(onEvent);
      socket.closeListeners.delete(onClose);
      resolve(r);
    };
    const onEvent = (e, at) => {
      if (e.type === "ack" && e.client_id === clientId) r.ackAt ??= at;
      else if (e.type === "delta") {
        r.firstDeltaAt ??= at;
        r.deltas += 1;
      } else if (e.type === "response" && e.message?.sender_type === "assistant") {
        r.responseAt = at;
        r.message = e.message;
        finish();
      } else if (e.type === "error") r.errors.push(e.code ?? "unknown");
    };
    const onClose = () => {
      r.closed = true;
      finish();
    };
    const timer = setTimeout(() => {
      r.timedOut = true;
      finish();
    }, timeoutMs);
    socket.listeners.add(onEvent);
    socket.closeListeners.add(onClose);
    r.sentAt = performance.now();
    try {
      socket.send({ type: "message", content, client_id: clientId });
    } catch {
      r.sendFailed = true;
      finish();
    }
  });
}

const RELOADED = "wrangler reloaded the Worker";

/** Counts what `wrangler dev` printed: request lines by status class, the Worker's warn/error logs. */
class ServerLog {
  constructor() {
    this.counts = new Map();
    this.examples = new Map();
  }

  add(line) {
    if (/Reloading local server|Detected changes/.test(line)) {
      this.bump(RELOADED, line);
      return;
    }
    const request = /\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) (\/\S*) (\d{3})\b/.exec(line);
    if (request) {
      const status = Number(request[3]);
      if (status >= 500) this.bump(`HTTP ${status} ${normalizePath(request[2])}`, line);
      else this.bump(`HTTP ${Math.floor(status / 100)}xx`);
      return;
    }
    const json = line.indexOf("{");
    if (json >= 0) {
      try {
        const entry = JSON.parse(line.slice(json));
        if (entry && (entry.level === "warn" || entry.level === "error")) this.bump(`${entry.level}: ${entry.msg}`, line);
        return;
      } catch {
        // not a JSON log line
      }
    }
    if (/\b(error|uncaught|exception|unhandled)\b/i.test(line) && !/^\s*at /.test(line)) this.bump("other error line", line);
  }

  bump(key, example) {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (example && !this.examples.has(key)) this.examples.set(key, example.slice(0, 400));
  }

  snapshot() {
    return new Map(this.counts);
  }

  /** What was counted since `snapshot`, with a one-line summary. */
  since(snapshot) {
    const diff = new Map();
    for (const [key, n] of this.counts) {
      const d = n - (snapshot.get(key) ?? 0);
      if (d > 0) diff.set(key, d);
    }
    const examples = this.examples;
    return {
      counts: diff,
      examples: [...diff.keys()].filter((k) => examples.has(k)).map((k) => `${k}: ${examples.get(k)}`),
      summary: () =>
        diff.size === 0
          ? "nothing logged"
          : [...diff.entries()]
              .sort((a, b) => b[1] - a[1])
              .map(([k, n]) => `${k} ×${n}`)
              .join("; "),
    };
  }
}

/**
 * Copies wrangler.toml into `dir` with `main` set to the bundle and the folders it names (the
 * assets, the D1 migrations) copied beside it; returns the copy's path.
 */
function snapshotConfig(dir, main) {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const copied = new Map();
  const out = text.replace(/^(\s*)(main|directory|migrations_dir)(\s*=\s*)"([^"]+)"/gm, (_line, indent, key, eq, value) => {
    if (key === "main") return `${indent}${key}${eq}"${main}"`;
    const source = resolve(ROOT, value);
    const name = `${key}-${basename(source)}`;
    if (!copied.has(source)) {
      cpSync(source, join(dir, name), { recursive: true });
      copied.set(source, name);
    }
    return `${indent}${key}${eq}"${copied.get(source)}"`;
  });
  const path = join(dir, "wrangler.toml");
  writeFileSync(path, out);
  return path;
}

/** The bundled Worker's entry module in `dir` (`index.js` for `workers/src/index.ts`). */
function bundleEntry(dir) {
  const modules = readdirSync(dir).filter((f) => /\.m?js$/.test(f));
  const main = modules.find((f) => f === "index.js") ?? modules[0];
  if (!main) throw new Error(`wrangler deploy --dry-run left no JavaScript module in ${dir}`);
  return join(dir, main);
}

function normalizePath(path) {
  return path.split("?")[0].replace(/\b[a-z]{2,5}_[A-Za-z0-9]{8,}\b/g, ":id");
}

function stats(values) {
  return { n: values.length, p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

function fmt(value, digits = 0) {
  return value === null || value === undefined || Number.isNaN(value) ? "n/a" : value.toFixed(digits);
}

function mib(kib) {
  return (kib / 1024).toFixed(0);
}

function bump(map, key) {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function countBy(values) {
  const out = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** `{a: 2}` or a Map as " (a ×2)"; `empty` when there is nothing. */
function describeCounts(counts, empty = "") {
  const entries = counts instanceof Map ? [...counts.entries()] : Object.entries(counts);
  if (entries.length === 0) return empty;
  const text = entries.map(([k, n]) => `${k} ×${n}`).join(", ");
  return empty === "" ? ` (${text})` : text;
}
