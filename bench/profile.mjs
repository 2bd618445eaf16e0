/**
 * `npm run bench -- profile`: a CPU profile of the conversation load, and where its time goes
 * per message.
 *
 * Starts the Worker as the benches do (`wrangler dev` on a fresh database with the demo help
 * articles, the offline `extractive` model), warms it up, then records a V8 CPU profile of the
 * Worker's isolate (the Worker and every Durable Object; the local D1, R2 and queue simulators
 * run elsewhere) through `wrangler dev --inspector-port`, speaking the DevTools protocol over a
 * WebSocket, while conversations ask questions in a closed loop. Writes the `.cpuprofile`
 * (open it in Chrome DevTools or speedscope) and returns the top self-time functions, in
 * milliseconds of CPU per answered message.
 *
 * Knobs (environment): PROFILE_CONVERSATIONS (20 at once), PROFILE_QUESTIONS (10 each),
 * PROFILE_OUT (default `.wrangler/profiles/load-<time>.cpuprofile`), PROFILE_TOP (15).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import WebSocket from "ws";
import { uploadDocuments, withLocalPlatform } from "../scripts/lib/local-platform.mjs";
import { loadAverage, mapLimit, ROOT } from "./_lib.mjs";

export const description = "CPU profile of the conversation load (Worker isolate, via the inspector): top self-time functions per message";

const CONVERSATIONS = Number(process.env.PROFILE_CONVERSATIONS ?? 20);
const QUESTIONS = Number(process.env.PROFILE_QUESTIONS ?? 10);
const TOP = Number(process.env.PROFILE_TOP ?? 15);
const SAMPLING_INTERVAL_US = 200; // V8's default is 1,000; finer sees short functions
const ANSWER_TIMEOUT_MS = 60_000;
const QUESTIONS_ASKED = [
  "How long does a full battery charge take?",
  "How do I return an e-bike?",
  "Where should I store the battery in winter?",
  "Do you ship to Canada?",
  "What is the warranty on the motor?",
];

export default async function run({ tmpDir, log }) {
  const out = process.env.PROFILE_OUT ?? join(ROOT, ".wrangler", "profiles", `load-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  return withLocalPlatform({ name: "profile", log, tmpDir, workspaceName: "Profile", assistantName: "Profile" }, async ({ api, token, assistantId, worker }) => {
    const base = worker.base;
    await api.expect(200, "PATCH", `/api/v1/assistants/${assistantId}`, { token, body: { allowed_origins: [base] } });
    const docs = readdirSync(join(ROOT, "seed", "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => {
        const content = readFileSync(join(ROOT, "seed", "docs", f), "utf8");
        return { title: /^#\s+(.+)$/m.exec(content)?.[1] ?? f, content };
      });
    await uploadDocuments(api, token, assistantId, docs);
    const key = await api.expect(201, "POST", "/api/v1/api-keys", { token, body: { name: "profile", type: "publishable", assistant_id: assistantId } });

    log("warm-up: 5 conversations × 2 questions");
    const warm = await openConversations(base, key.key, assistantId, 5, "warm");
    await ask(warm, 2, "warm");
    closeAll(warm);
    // Conversations are created and their sockets opened before the profile starts: it holds messages only.
    const conversations = await openConversations(base, key.key, assistantId, CONVERSATIONS, "run");

    const inspector = await Inspector.connect(worker.inspectorPort);
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
    const loadBefore = loadAverage();
    log(`profiling ${CONVERSATIONS} conversations × ${QUESTIONS} questions (load ${loadBefore})…`);
    await inspector.send("Profiler.start");
    const started = performance.now();
    const answered = await ask(conversations, QUESTIONS, "run");
    const wallMs = performance.now() - started;
    const { profile } = await inspector.send("Profiler.stop");
    inspector.close();
    closeAll(conversations);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(profile));
    log(`wrote ${out}`);

    const { rows, totalMs, idleMs } = selfTimes(profile);
    const perMessage = (ms) => (answered > 0 ? (ms / answered).toFixed(3) : "-");
    return {
      title: `CPU profile of the load: ${answered} messages answered (${CONVERSATIONS} conversations × ${QUESTIONS}, closed loop), top ${TOP} by self time`,
      columns: ["function", "where", "self ms", "ms per message", "% of busy"],
      rows: rows.slice(0, TOP).map((r) => [r.name, r.where, r.ms.toFixed(1), perMessage(r.ms), `${((100 * r.ms) / (totalMs - idleMs)).toFixed(1)}%`]),
      notes: [
        `${new Date().toISOString()}, load ${loadBefore} → ${loadAverage()}; ${(answered / (wallMs / 1000)).toFixed(1)} messages/s over ${(wallMs / 1000).toFixed(1)} s; sampling every ${SAMPLING_INTERVAL_US} µs.`,
        `Isolate busy ${(totalMs - idleMs).toFixed(0)} ms of ${totalMs.toFixed(0)} ms profiled = ${perMessage(totalMs - idleMs)} ms of JavaScript-thread time per message (idle, i.e. waiting on D1, storage and sockets: ${idleMs.toFixed(0)} ms). The local D1, R2 and queue simulators are other isolates and not in this profile.`,
        `Profile: ${relative(ROOT, out)} (Chrome DevTools → Performance → Load profile, or speedscope).`,
      ],
    };
  });
}

/** Creates `conversations` conversations, each with its socket open: `[{ws, events, wait}]`. */
async function openConversations(base, key, assistantId, conversations, label) {
  return mapLimit(Array.from({ length: conversations }, (_, i) => i), 16, async (c) => {
    const res = await fetch(`${base}/api/v1/conversations`, {
      method: "POST",
      headers: { Authorization: `Bearer ${key}`, Origin: base, "Content-Type": "application/json" },
      body: JSON.stringify({ assistant_id: assistantId, visitor_id: `${label}-${c}`, channel: "web" }),
    });
    if (res.status !== 201) throw new Error(`POST /conversations answered ${res.status}: ${await res.text()}`);
    const body = await res.json();
    const url = new URL(body.ws_url);
    url.host = new URL(base).host;
    url.searchParams.set("token", body.token);
    const ws = new WebSocket(url, { headers: { Origin: base } });
    const conv = { ws, events: [], wake: () => {} };
    ws.on("message", (data) => {
      conv.events.push(JSON.parse(data.toString("utf8")));
      conv.wake();
    });
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return conv;
  });
}

/** Each conversation asks `questions` questions in turn (closed loop); resolves with the number answered. */
async function ask(conversations, questions, label) {
  const counts = await Promise.all(
    conversations.map(async (conv, c) => {
      let answered = 0;
      for (let q = 0; q < questions; q++) {
        const from = conv.events.length;
        const done = () => conv.events.slice(from).some((e) => e.type === "response");
        conv.ws.send(JSON.stringify({ type: "message", content: QUESTIONS_ASKED[(c + q) % QUESTIONS_ASKED.length], client_id: `${label}-${c}-${q}` }));
        const deadline = Date.now() + ANSWER_TIMEOUT_MS;
        while (!done() && Date.now() < deadline) {
          await new Promise((resolve) => {
            conv.wake = resolve;
            setTimeout(resolve, 1_000);
          });
        }
        if (!done()) break;
        answered += 1;
      }
      return answered;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** Closes every socket. */
function closeAll(conversations) {
  for (const { ws } of conversations) ws.close(1000);
}

/** Self time per function (name + script:line), summed over the profile's samples, descending; and the total and idle time. */
export function selfTimes(profile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n);
  const frameName = ({ functionName, url, lineNumber }) => `${functionName || "(anonymous)"}${url ? ` ${url.split("/").pop()}:${lineNumber + 1}` : ""}`;
  const msById = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    msById.set(id, (msById.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
  const byFunction = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const [id, ms] of msById) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    totalMs += ms;
    if (functionName === "(idle)") idleMs += ms;
    const name = functionName || "(anonymous)";
    // A built-in (no script) is named with the script function that called it.
    const caller = parentOf.get(id);
    const where = url ? `${url.split("/").slice(-2).join("/")}:${lineNumber + 1}` : caller ? `built-in, from ${frameName(caller.callFrame)}` : "built-in";
    const k = `${name}\u0000${where}`;
    const row = byFunction.get(k) ?? { name, where, ms: 0 };
    row.ms += ms;
    byFunction.set(k, row);
  }
  const rows = [...byFunction.values()].filter((r) => r.name !== "(idle)").sort((a, b) => b.ms - a.ms);
  return { rows, totalMs, idleMs };
}

/** A DevTools protocol session with the first inspectable target behind `wrangler dev --inspector-port`. */
class Inspector {
  static async connect(port) {
    const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
    const target = targets.find((t) => t.webSocketDebuggerUrl);
    if (!target) throw new Error(`no inspectable target on port ${port}: ${JSON.stringify(targets)}`);
    const ws = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    return new Inspector(ws);
  }

  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    ws.on("message", (data) => {
      const msg = JSON.parse(data.toString("utf8"));
      const waiter = msg.id !== undefined && this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.error) waiter.reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else waiter.resolve(msg.result);
    });
  }

  /** Sends a protocol command and resolves with its result. */
  send(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }

  close() {
    this.ws.close();
  }
}
