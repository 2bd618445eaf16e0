#!/usr/bin/env node
// Over 400 lines: the start sequence (secrets, migrations, builds, wrangler, demo seeding, banner) reads top to bottom as one script.
/**
 * `npm start`: the whole platform on this machine, offline, with no account and no secrets.
 *
 *   1. makes sure `.dev.vars` (the Worker's JWT_SECRET, ENCRYPTION_KEYS and DEMO_ORDERS_KEY) and
 *      `dashboard/.dev.vars` (its SESSION_SECRET) hold random local secrets, adding any that are
 *      missing (both gitignored; neither server runs without them);
 *   2. applies the D1 migrations to the local database (`.wrangler/state`);
 *   3. builds the chat widget into `public/widget/v<version>/` (served as static assets);
 *   4. runs `wrangler dev` on http://127.0.0.1:8787 and streams its output;
 *   5. once `/healthz` answers, makes sure a demo workspace exists, created through the public
 *      API like any client would, writes the demo page's `public/demo/config.js` (its assistant
 *      and widget key; gitignored) if it changed and waits for the server to serve it (writing
 *      under `public/` reloads the server), then uploads the demo articles, makes sure the demo
 *      assistant has its order-status action (see `ensureDemoActions`), and prints where
 *      everything is and how to sign in. Nothing under `public/` is written after that, so the
 *      server does not reload once the banner is up.
 *
 * What the demo seed created is kept in `.wrangler/demo.json`, because API keys are shown only
 * once. Delete `.wrangler/` to start again from an empty database. Ctrl-C stops everything.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWidget } from "../widget/scripts/build.mjs";
import { descriptorLimits, raisedDescriptorLimit, socketCapFor, withRaisedDescriptorLimit } from "./lib/fd-limit.mjs";
import { wranglerRuntimePort } from "./lib/runtime-port.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = "127.0.0.1";
const PORT = 8787;
const API_ORIGIN = `http://${HOST}:${PORT}`;
const PUBLIC_URL = `http://localhost:${PORT}`;
const DASHBOARD_PORT = 8788;
const DASHBOARD_URL = `http://localhost:${DASHBOARD_PORT}`;
const DASHBOARD_DIR = join(ROOT, "dashboard");
const DASHBOARD_READY_TIMEOUT_MS = 90_000; // the first start compiles the Pages Function
const DEV_VARS_PATH = join(ROOT, ".dev.vars");
const DASHBOARD_DEV_VARS_PATH = join(DASHBOARD_DIR, ".dev.vars");
const DEMO_STATE_PATH = join(ROOT, ".wrangler", "demo.json");
const DEMO_PAGE_CONFIG_PATH = join(ROOT, "public", "demo", "config.js");
const SEED_DOCS_DIR = join(ROOT, "seed", "docs");
const WRANGLER_BIN = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

const HEALTH_TIMEOUT_MS = 120_000; // the first `wrangler dev` bundles the Worker and boots workerd
const HEALTH_POLL_MS = 300;
const PROBE_TIMEOUT_MS = 1_500; // for "is the dashboard up yet?", which must not hold up the banner
const SHUTDOWN_GRACE_MS = 10_000; // then wrangler (and its workerd) is killed outright
const JWT_SECRET_BYTES = 48; // 64 base64url characters, above the Worker's 32-character minimum
const ENCRYPTION_KEY_BYTES = 32; // AES-256
const SESSION_SECRET_BYTES = 48; // 64 base64url characters, above the dashboard's 32-character minimum

/** The demo workspace. Local only: the password is printed in the banner on purpose. */
const DEMO = {
  workspace_name: "Demo",
  company_name: "Northwind Cycles",
  email: "demo@edgedesk.local",
  password: "edgedesk-demo-password",
};

/** The demo assistant; its origins let the widget run on the local demo page. */
const DEMO_ASSISTANT = {
  name: "Northwind support",
  system_prompt:
    "You are the support assistant of Northwind Cycles, an e-bike shop. Answer from the help " +
    "articles only, cite them, and offer a human agent when you are not sure.",
  tone: "friendly",
  allowed_origins: [`http://localhost:${PORT}`, `http://127.0.0.1:${PORT}`],
};

const ADMIN_KEY_NAME = "Demo admin key";
const WIDGET_KEY_NAME = "Demo widget key";

// ---------------------------------------------------------------------------------------------
// Output

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code, text) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
const bold = (text) => paint("1", text);
const dim = (text) => paint("2", text);
const cyan = (text) => paint("36", text);
const yellow = (text) => paint("33", text);

function log(message) {
  console.log(`${cyan("[start]")} ${message}`);
}

function warn(message) {
  console.warn(`${yellow("[start]")} ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes and Ctrl-C

/** The wrangler process running now (migrations, then `wrangler dev`). */
let child = null;
/** The dashboard's `wrangler pages dev`, once started. */
let dashboardChild = null;
let stopping = false;

/**
 * Node 22 from the `node` devDependency when this script was started with an older Node
 * (wrangler needs 22); `npm start` already puts it first on PATH.
 */
function nodeForWrangler() {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= 22) return process.execPath;
  const local = join(ROOT, "node_modules", "node", "bin", "node");
  return existsSync(local) ? local : process.execPath;
}

/** Runs wrangler with the given arguments, output streamed to this terminal. */
function runWrangler(args) {
  if (!existsSync(WRANGLER_BIN)) {
    throw new Error("wrangler is not installed: run `npm install` first");
  }
  // stdin is not a terminal, so wrangler asks no questions (the migration prompt is skipped)
  // and shows no hotkey bar that would redraw over the banner.
  // The soft descriptor limit raised to the hard one: every open WebSocket costs descriptors in
  // the dev proxy and the runtime, and the runtime exits when it runs out (scripts/lib/fd-limit.mjs).
  const { command, args: argv } = withRaisedDescriptorLimit(nodeForWrangler(), [WRANGLER_BIN, ...args]);
  const proc = spawn(command, argv, {
    cwd: ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      // Local `request.cf` is a placeholder unless asked for: fetching the real one needs the
      // network and prints a stack trace when offline.
      CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    },
  });
  child = proc;
  const exited = new Promise((resolve) => {
    proc.on("exit", (code, signal) => {
      if (child === proc) child = null;
      resolve({ code, signal });
    });
    proc.on("error", (err) => {
      if (child === proc) child = null;
      resolve({ code: 1, signal: null, error: err });
    });
  });
  return { proc, exited };
}

function isRunning(proc) {
  return proc !== null && proc.exitCode === null && proc.signalCode === null;
}

/**
 * Stops wrangler and exits. Ctrl-C in a terminal reaches wrangler too (same process group),
 * so it is signalled only if it is still running a moment later, then killed after a grace.
 */
function shutdown(signal) {
  if (isRunning(dashboardChild)) dashboardChild.kill(stopping ? "SIGKILL" : "SIGTERM");
  if (stopping) {
    // A second Ctrl-C: the user wants out now.
    if (isRunning(child)) child.kill("SIGKILL");
    process.exit(130);
  }
  stopping = true;
  const proc = child;
  if (!isRunning(proc)) process.exit(0);
  log(`stopping wrangler (${signal})…`);
  proc.once("exit", () => {
    log("stopped.");
    process.exit(0);
  });
  const forward = signal === "SIGINT" ? 500 : 0; // give the terminal's own SIGINT a head start
  setTimeout(() => isRunning(proc) && proc.kill(signal === "SIGHUP" ? "SIGTERM" : signal), forward).unref();
  setTimeout(() => isRunning(proc) && proc.kill("SIGKILL"), SHUTDOWN_GRACE_MS).unref();
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => shutdown(signal));

// ---------------------------------------------------------------------------------------------
// 1. Local secrets

/** The secrets each local server needs; neither the Worker nor the dashboard has a stand-in for them. */
const LOCAL_SECRETS = [
  {
    path: DEV_VARS_PATH,
    label: ".dev.vars",
    header: [
      "# Local secrets for `wrangler dev`, generated by `npm start`. Gitignored: never commit it.",
      "# Provider keys (OPENAI_API_KEY, ANTHROPIC_API_KEY, …) go here too; see README \"Configuration\".",
    ],
    secrets: {
      JWT_SECRET: () => randomBytes(JWT_SECRET_BYTES).toString("base64url"),
      ENCRYPTION_KEYS: () => `k1:${randomBytes(ENCRYPTION_KEY_BYTES).toString("base64")}`,
      // Switches on the demo shop's order service; the seeded demo action holds it as a header.
      DEMO_ORDERS_KEY: () => randomBytes(JWT_SECRET_BYTES).toString("base64url"),
    },
  },
  {
    path: DASHBOARD_DEV_VARS_PATH,
    label: "dashboard/.dev.vars",
    header: ["# Local secrets for the dashboard's `wrangler pages dev` and Vite dev server, generated by `npm start`. Gitignored."],
    secrets: { SESSION_SECRET: () => randomBytes(SESSION_SECRET_BYTES).toString("base64url") },
  },
];

/** Names set (to anything non-empty) in a `.dev.vars` text. */
function namesIn(text) {
  const names = new Set();
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match && match[2].trim().replace(/^(["'])(.*)\1$/, "$2") !== "") names.add(match[1]);
  }
  return names;
}

/** The value of `name` in a `.dev.vars` text, unquoted; null when it is not set. */
function valueIn(text, name) {
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match && match[1] === name) return match[2].trim().replace(/^(["'])(.*)\1$/, "$2") || null;
  }
  return null;
}

/**
 * Makes sure `.dev.vars` (the Worker) and `dashboard/.dev.vars` (the dashboard) hold every local
 * secret: a missing file is written with fresh random values, and an existing one that lacks
 * some gets just those appended. Values already there are never changed (a new JWT_SECRET would
 * sign everyone out; a new ENCRYPTION_KEYS would make stored integration secrets unreadable).
 */
function ensureDevVars() {
  for (const file of LOCAL_SECRETS) {
    const existing = existsSync(file.path) ? readFileSync(file.path, "utf8") : null;
    const present = existing === null ? new Set() : namesIn(existing);
    const missing = Object.keys(file.secrets).filter((name) => !present.has(name));
    if (missing.length === 0) {
      log(`${file.label} has its secrets; using it.`);
      continue;
    }
    const lines = missing.map((name) => `${name}="${file.secrets[name]()}"`);
    if (existing === null) {
      writeFileSync(file.path, [...file.header, ...lines, ""].join("\n"), { mode: 0o600 });
      log(`wrote ${file.label} with a random ${missing.join(" and ")}.`);
    } else {
      const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
      appendFileSync(file.path, `${separator}# Added by \`npm start\`: a required secret that was missing.\n${lines.join("\n")}\n`);
      log(`added a random ${missing.join(" and ")} to ${file.label}.`);
    }
  }
}

/**
 * Makes the demo workspace the deployment operator's (`OPERATOR_WORKSPACE_ID` in `.dev.vars`), so
 * its admin sees the System health page with no configuration. A value set in the environment,
 * or one in `.dev.vars` naming another workspace than the earlier demo one, is the user's and is
 * kept. When the line changes, wrangler.toml's time is touched: `wrangler dev` reloads its
 * configuration, `.dev.vars` included, without a restart.
 */
async function ensureOperatorWorkspace(workspaceId, previousDemoWorkspaceId, token) {
  if (process.env.OPERATOR_WORKSPACE_ID || !workspaceId) return;
  const text = existsSync(DEV_VARS_PATH) ? readFileSync(DEV_VARS_PATH, "utf8") : "";
  const current = valueIn(text, "OPERATOR_WORKSPACE_ID");
  if (current === workspaceId) return;
  if (current && current !== previousDemoWorkspaceId) return;
  const line = `OPERATOR_WORKSPACE_ID="${workspaceId}"`;
  const lines = text.split(/\r?\n/);
  const at = lines.findIndex((l) => /^\s*(?:export\s+)?OPERATOR_WORKSPACE_ID\s*=/.test(l));
  if (at === -1) {
    const separator = text === "" || text.endsWith("\n") ? "" : "\n";
    writeFileSync(DEV_VARS_PATH, `${text}${separator}# The deployment operator's workspace (the demo one), set by \`npm start\`.\n${line}\n`, { mode: 0o600 });
  } else {
    lines[at] = line;
    writeFileSync(DEV_VARS_PATH, lines.join("\n"), { mode: 0o600 });
  }
  const now = new Date();
  utimesSync(join(ROOT, "wrangler.toml"), now, now);
  // The reload drops queued work: nothing is uploaded until the new configuration answers.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !stopping) {
    const me = await api("GET", "/api/v1/auth/me", { token }).catch(() => null);
    if (me?.status === 200 && me.body.system_health === true) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  log(`the demo workspace ${workspaceId} is the operator's: its admin sees System health.`);
}

// ---------------------------------------------------------------------------------------------
// 2 and 3. Migrations and `wrangler dev`

async function applyMigrations() {
  log("applying D1 migrations to the local database…");
  const { exited } = runWrangler(["d1", "migrations", "apply", "DB", "--local"]);
  const { code, signal, error } = await exited;
  if (stopping) return;
  if (error || code !== 0) {
    throw new Error(`\`wrangler d1 migrations apply DB --local\` failed (${error?.message ?? signal ?? `exit ${code}`})`);
  }
}

/** Resolves when nothing listens on the port, rejects with a useful message otherwise. */
function assertPortFree(port, host) {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (err) => {
      reject(
        err.code === "EADDRINUSE"
          ? new Error(`port ${port} is already in use; is another \`npm start\` or \`wrangler dev\` running?`)
          : err,
      );
    });
    server.listen(port, host, () => server.close(resolve));
  });
}

function startWranglerDev() {
  log(`starting wrangler dev on ${API_ORIGIN}…`);
  const dev = runWrangler([
    "dev",
    "--port",
    String(PORT),
    "--ip",
    HOST,
    "--show-interactive-dev-session=false",
    // `wrangler dev` does not fire cron triggers; this lets start run the housekeeping itself.
    "--test-scheduled",
    ...socketCapArgs(),
    ...accessLogArgs(),
  ]);
  dev.exited.then(({ code, signal, error }) => {
    if (stopping) return;
    warn(`wrangler dev exited unexpectedly (${error?.message ?? signal ?? `exit ${code}`}).`);
    process.exit(typeof code === "number" && code !== 0 ? code : 1);
  });
  return dev;
}

/**
 * `--var NAME:<value>` for a Worker variable this start chooses locally: the environment's value
 * when set there, nothing when `.dev.vars` sets it (that value wins), else `localValue()`'s
 * (nothing when it is null: wrangler.toml's value stays).
 */
function localVarArgs(name, localValue) {
  if (process.env[name]) return ["--var", `${name}:${process.env[name]}`];
  const devVars = existsSync(DEV_VARS_PATH) ? namesIn(readFileSync(DEV_VARS_PATH, "utf8")) : new Set();
  if (devVars.has(name)) return [];
  const value = localValue();
  return value === null ? [] : ["--var", `${name}:${value}`];
}

/**
 * MAX_OPEN_WEBSOCKETS from the descriptor limit the server gets, so an overload is refused with
 * 429 before the runtime runs out of descriptors and drops every socket.
 */
function socketCapArgs() {
  return localVarArgs("MAX_OPEN_WEBSOCKETS", () => {
    const limit = raisedDescriptorLimit();
    const cap = socketCapFor(limit);
    if (cap === null) return null;
    const { soft } = descriptorLimits();
    log(`descriptor limit ${limit}${soft !== limit ? ` (raised from ${soft})` : ""}: at most ${cap} open WebSockets (MAX_OPEN_WEBSOCKETS).`);
    return String(cap);
  });
}

/**
 * ACCESS_LOG off: `wrangler dev` already prints a line per request, and a second one, the
 * Worker's JSON access line, costs each request about 2.5 ms on a small machine (BENCHMARKS.md).
 * `ACCESS_LOG=on npm start` keeps it.
 */
function accessLogArgs() {
  return localVarArgs("ACCESS_LOG", () => "off");
}

async function waitForHealth() {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (stopping) return false;
    try {
      const res = await fetch(`${API_ORIGIN}/healthz`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await sleep(HEALTH_POLL_MS);
  }
  throw new Error(`${API_ORIGIN}/healthz did not answer within ${HEALTH_TIMEOUT_MS / 1000} s`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// 4. The demo workspace, through the public API

/** Calls the local API; returns `{status, body}` with the body parsed when it is JSON. */
async function api(method, path, { token, body } = {}) {
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${API_ORIGIN}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** Like `api`, but anything other than the expected status is an error that says what happened. */
async function expectApi(expected, method, path, options) {
  const res = await api(method, path, options);
  if (res.status !== expected) {
    const error = res.body?.error;
    const detail = error ? `${error.code}: ${error.message}` : JSON.stringify(res.body);
    throw new Error(`${method} ${path} answered ${res.status}, expected ${expected} (${detail})`);
  }
  return res.body;
}

function readDemoState() {
  if (!existsSync(DEMO_STATE_PATH)) return null;
  try {
    return JSON.parse(readFileSync(DEMO_STATE_PATH, "utf8"));
  } catch {
    warn(`${DEMO_STATE_PATH} is not valid JSON; checking the demo workspace from scratch.`);
    return null;
  }
}

function writeDemoState(state) {
  mkdirSync(dirname(DEMO_STATE_PATH), { recursive: true });
  writeFileSync(DEMO_STATE_PATH, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Signs in; `null` when the credentials are refused (the local database was reset, say). */
async function logIn(email, password) {
  const res = await api("POST", "/api/v1/auth/login", { body: { email, password } });
  if (res.status === 200) return res.body;
  if (res.status === 401) return null;
  throw new Error(`POST /api/v1/auth/login answered ${res.status}: ${JSON.stringify(res.body)}`);
}

/** Every item of a paginated list. */
async function listAll(path, token) {
  const items = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: "100" });
    if (cursor) query.set("cursor", cursor);
    const page = await expectApi(200, "GET", `${path}?${query}`, { token });
    items.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

function isLiveKey(key) {
  return key && !key.revoked_at && (!key.expires_at || Date.parse(key.expires_at) > Date.now());
}

/**
 * Makes sure the demo workspace, its assistant and its two keys exist, creating only what is
 * missing, and returns what the banner shows. Safe to run on every start.
 */
async function ensureDemoWorkspace() {
  const saved = readDemoState();
  const email = saved?.email ?? DEMO.email;
  const password = saved?.password ?? DEMO.password;

  let session = await logIn(email, password);
  let created = false;
  if (!session) {
    const res = await api("POST", "/api/v1/workspaces", { body: { ...DEMO, email, password } });
    // Sign-up answers 201 for an email that already has an account too (so it never tells which
    // addresses are registered), with tokens that open nothing: only a working token means created.
    const works = res.status === 201 && (await api("GET", "/api/v1/auth/me", { token: res.body.access_token })).status === 200;
    if (works) {
      session = res.body;
      created = true;
    } else if (res.status === 201) {
      throw new Error(
        `${email} already exists with another password. Delete .wrangler/ to reset the local database.`,
      );
    } else if (res.status === 403) {
      throw new Error("sign-up is closed (SIGNUP_OPEN is not \"true\"), so the demo workspace cannot be created");
    } else {
      throw new Error(`POST /api/v1/workspaces answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    log(`created the demo workspace ${session.workspace.id}.`);
  } else {
    log(`demo workspace ${session.workspace.id} exists; signed in as ${email}.`);
  }

  // A state file from another database (one that was reset) must not be trusted.
  const state =
    saved && saved.workspace_id === session.workspace.id
      ? saved
      : { created_at: new Date().toISOString(), documents: {} };
  Object.assign(state, { email, password, workspace_id: session.workspace.id, user_id: session.user.id });
  const token = session.access_token;

  // The assistant: the saved one, else one with the demo name (state file lost), else a new one.
  let assistant = null;
  if (state.assistant_id) {
    const res = await api("GET", `/api/v1/assistants/${state.assistant_id}`, { token });
    if (res.status === 200) assistant = res.body;
  }
  if (!assistant && !created) {
    assistant = (await listAll("/api/v1/assistants", token)).find((a) => a.name === DEMO_ASSISTANT.name) ?? null;
  }
  if (!assistant) {
    assistant = await expectApi(201, "POST", "/api/v1/assistants", { token, body: DEMO_ASSISTANT });
    log(`created the demo assistant ${assistant.id}.`);
  }
  if (state.assistant_id !== assistant.id) state.documents = {};
  state.assistant_id = assistant.id;

  // The keys. Their secrets are only in the create answer, so a key is reused only if we saved it.
  const keys = created ? [] : await listAll("/api/v1/api-keys", token);
  const findKey = (entry) => (entry ? keys.find((k) => k.id === entry.id) : undefined);
  if (!isLiveKey(findKey(state.admin_key))) {
    const key = await expectApi(201, "POST", "/api/v1/api-keys", {
      token,
      body: { name: ADMIN_KEY_NAME, scope: "admin" },
    });
    state.admin_key = { id: key.id, key: key.key, expires_at: key.expires_at };
    log(`created the demo admin key ${key.id}.`);
  }
  const widgetKey = findKey(state.widget_key);
  if (!isLiveKey(widgetKey) || widgetKey.assistant_id !== assistant.id) {
    const key = await expectApi(201, "POST", "/api/v1/api-keys", {
      token,
      body: { name: WIDGET_KEY_NAME, type: "publishable", assistant_id: assistant.id },
    });
    state.widget_key = { id: key.id, key: key.key };
    log(`created the demo widget key ${key.id}.`);
  }
  // Keys of the demo names that are not the saved ones lost their secret with a deleted state
  // file; nobody can use them, so they are revoked rather than left valid.
  const keptIds = new Set([state.admin_key.id, state.widget_key.id]);
  for (const key of keys) {
    if ((key.name === ADMIN_KEY_NAME || key.name === WIDGET_KEY_NAME) && isLiveKey(key) && !keptIds.has(key.id)) {
      await expectApi(200, "DELETE", `/api/v1/api-keys/${key.id}`, { token });
      log(`revoked the orphaned demo key ${key.id}.`);
    }
  }
  writeDemoState(state);

  // The saved admin key must really open the API, or the banner would hand out a dead key.
  const check = await api("GET", "/api/v1/assistants?limit=1", { token: state.admin_key.key });
  if (check.status !== 200) warn(`the demo admin key was refused (${check.status}); delete .wrangler/demo.json and restart.`);

  return { state, assistant, created, token };
}

/** The demo help articles: `seed/docs/*.md`, titled by their first `# ` heading. */
function readSeedDocuments() {
  if (!existsSync(SEED_DOCS_DIR)) return [];
  return readdirSync(SEED_DOCS_DIR)
    .filter((file) => file.endsWith(".md"))
    .sort()
    .map((file) => {
      const content = readFileSync(join(SEED_DOCS_DIR, file), "utf8");
      const title = /^#\s+(.+)$/m.exec(content)?.[1]?.trim() ?? file.replace(/\.md$/, "");
      const sha256 = createHash("sha256").update(content).digest("hex");
      return { file, title, content, sha256 };
    });
}

/**
 * Seeds the demo assistant's knowledge base from `seed/docs/`. Uploads only articles not
 * uploaded before (or changed since), and steps aside politely while the documents API
 * (`POST /api/v1/assistants/:id/documents`) does not exist yet.
 */
async function uploadDemoDocuments(state, token) {
  const docs = readSeedDocuments();
  state.documents ??= {};
  const pending = docs.filter((doc) => state.documents[doc.file]?.sha256 !== doc.sha256);
  if (pending.length === 0) {
    if (docs.length > 0) log(`knowledge base: ${docs.length} demo article(s) already uploaded.`);
    return;
  }
  for (const doc of pending) {
    const res = await api("POST", `/api/v1/assistants/${state.assistant_id}/documents`, {
      token,
      body: { title: doc.title, content: doc.content },
    });
    if (res.status === 404 || res.status === 405 || res.status === 501) {
      log("knowledge base: the documents API is not available yet; demo articles skipped.");
      return;
    }
    if (res.status !== 202) {
      warn(`knowledge base: uploading ${doc.file} answered ${res.status}; skipped (${JSON.stringify(res.body)}).`);
      continue;
    }
    state.documents[doc.file] = { id: res.body.id, sha256: doc.sha256 };
    log(`knowledge base: queued ${doc.file} as ${res.body.id}.`);
  }
}

/**
 * The demo assistant's `get_order_status` action: it looks orders up in the demo shop's order
 * service (served in-process by the Worker at the reserved host `orders.demo.invalid`, with
 * `DEMO_ORDERS_KEY` as its bearer token), and its trigger phrases and order-number pattern let
 * the offline demo answer "where is my order 1042?" without a model.
 */
const DEMO_ORDER_ACTION = {
  name: "get_order_status",
  description: "Look up the status, carrier and expected delivery date of a Northwind Cycles order by its number.",
  method: "GET",
  url: "https://orders.demo.invalid/orders/{order_number}",
  parameters: {
    type: "object",
    properties: { order_number: { type: "string", pattern: "^\\d{4,}$", description: "The order number, e.g. 1042" } },
    required: ["order_number"],
  },
  response_fields: ["status", "carrier", "eta"],
  mutating: false,
  requires_verified: false,
  triggers: {
    phrases: ["where is my order", "order status", "track my order", "wo ist meine Bestellung", "Status meiner Bestellung", "dónde está mi pedido", "où est ma commande"],
    patterns: { order_number: "\\b(\\d{4,})\\b" },
  },
  answer_template: "Order {order_number} is {status} (carrier: {carrier}, expected {eta}).",
};

/**
 * Makes sure the demo assistant has its order-status action, pointed at this machine's demo key
 * (re-sent on every start, so a regenerated `.dev.vars` keeps it working). Steps aside when the
 * actions API is not there.
 */
async function ensureDemoActions(state, token) {
  const demoKey = existsSync(DEV_VARS_PATH) ? valueIn(readFileSync(DEV_VARS_PATH, "utf8"), "DEMO_ORDERS_KEY") : null;
  if (!demoKey) {
    warn("DEMO_ORDERS_KEY is not in .dev.vars; the demo order action is skipped.");
    return;
  }
  const headers = { Authorization: `Bearer ${demoKey}` };
  const list = await api("GET", `/api/v1/assistants/${state.assistant_id}/actions?limit=100`, { token });
  if (list.status === 404 || list.status === 405) {
    log("actions: the actions API is not available; the demo order action is skipped.");
    return;
  }
  const existing = list.status === 200 ? list.body.data.find((a) => a.name === DEMO_ORDER_ACTION.name) : undefined;
  if (existing) {
    const { name: _name, ...definition } = DEMO_ORDER_ACTION;
    await expectApi(200, "PATCH", `/api/v1/actions/${existing.id}`, { token, body: { ...definition, headers } });
    log(`actions: demo order action ${existing.id} is up to date.`);
  } else {
    const created = await expectApi(201, "POST", `/api/v1/assistants/${state.assistant_id}/actions`, { token, body: { ...DEMO_ORDER_ACTION, headers } });
    log(`actions: created the demo order action ${created.id} (try "Where is my order 1042?").`);
  }
}

// ---------------------------------------------------------------------------------------------
// The widget and the demo page

/** Builds the widget (Vite) so `wrangler dev` serves the current sources. */
async function buildDemoWidget() {
  log("building the chat widget…");
  const widget = await buildWidget();
  log(`widget built: ${widget.loaderPath}`);
  return widget;
}

/** The text of `public/demo/config.js` for this demo state and widget build. */
function demoPageConfigText(state, widget) {
  const config = { assistant_id: state.assistant_id, publishable_key: state.widget_key.key, widget_src: widget.loaderPath };
  return `// Generated by \`npm start\` for the local demo page; not committed.\nwindow.EDGEDESK_DEMO = ${JSON.stringify(config, null, 2)};\n`;
}

/**
 * Writes `public/demo/config.js`, which `/demo` reads: the demo assistant, its publishable key
 * and the widget's URL. Generated (gitignored): the ids differ on every machine. Returns false
 * when the file already holds that text (nothing written, so nothing for the server to reload).
 */
function writeDemoPageConfig(text) {
  if (existsSync(DEMO_PAGE_CONFIG_PATH) && readFileSync(DEMO_PAGE_CONFIG_PATH, "utf8") === text) return false;
  mkdirSync(dirname(DEMO_PAGE_CONFIG_PATH), { recursive: true });
  writeFileSync(DEMO_PAGE_CONFIG_PATH, text);
  return true;
}

/**
 * Writing under `public/` makes `wrangler dev` reload the Worker, and a reload drops the local
 * queues' in-flight messages (an upload queued then would stay `queued`). So after writing the
 * config, nothing is uploaded and nothing is announced until the server serves the new file:
 * the reload is over by then.
 */
async function waitForDemoPageConfig(text) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`${API_ORIGIN}/demo/config.js`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      if (res.ok && (await res.text()) === text) {
        await waitForHealth();
        return;
      }
    } catch {
      // reloading
    }
    await sleep(HEALTH_POLL_MS);
  }
  warn("the demo page's config did not show up in time; the demo page may need a refresh.");
}

// ---------------------------------------------------------------------------------------------
// The dashboard

/** Builds the dashboard (Remix with Vite) into `dashboard/build`; its output is shown only on failure. */
async function buildDashboard() {
  log("building the dashboard…");
  const remixCli = [join(DASHBOARD_DIR, "node_modules"), join(ROOT, "node_modules")]
    .map((dir) => join(dir, "@remix-run", "dev", "dist", "cli.js"))
    .find((path) => existsSync(path));
  if (!remixCli) throw new Error("@remix-run/dev is not installed: run `npm install` first");
  const proc = spawn(nodeForWrangler(), [remixCli, "vite:build"], { cwd: DASHBOARD_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  proc.stdout.on("data", (d) => (output += d));
  proc.stderr.on("data", (d) => (output += d));
  const code = await new Promise((resolve) => proc.on("exit", resolve));
  if (code !== 0) throw new Error(`the dashboard build failed:\n${output.slice(-3000)}`);
  log("dashboard built.");
}

/** Serves the built dashboard with `wrangler pages dev` (the Pages runtime), calling the local API. */
async function startDashboard() {
  log(`starting the dashboard on ${DASHBOARD_URL}…`);
  dashboardChild = spawn(
    nodeForWrangler(),
    [WRANGLER_BIN, "pages", "dev", "./build/client", "--port", String(DASHBOARD_PORT), "--ip", HOST, "--binding", `API_URL=${API_ORIGIN}`, "--show-interactive-dev-session=false"],
    { cwd: DASHBOARD_DIR, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  dashboardChild.on("exit", (code, signal) => {
    if (!stopping) warn(`the dashboard exited (${signal ?? `exit ${code}`}); the API keeps running.`);
  });
  const deadline = Date.now() + DASHBOARD_READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping && isRunning(dashboardChild)) {
    if (await answers(`http://${HOST}:${DASHBOARD_PORT}/login`)) return true;
    await sleep(HEALTH_POLL_MS);
  }
  return false;
}

/** Builds and starts the dashboard; a failure is reported but leaves the API running. */
async function runDashboard(built) {
  try {
    await built;
    if (stopping) return;
    await assertPortFree(DASHBOARD_PORT, HOST);
    if (!(await startDashboard())) warn(`the dashboard did not answer at ${DASHBOARD_URL} in time.`);
  } catch (err) {
    warn(`dashboard: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The banner

/** True when something answers at the URL with a status below 400. */
async function answers(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS), redirect: "manual" });
    await res.body?.cancel();
    return res.status < 400;
  } catch {
    return false;
  }
}

async function printBanner({ state, assistant }) {
  const [demoPageUp, dashboardUp, directPort] = await Promise.all([
    answers(`${API_ORIGIN}/demo`),
    answers(DASHBOARD_URL),
    child?.pid ? wranglerRuntimePort(child.pid, PORT).catch(() => null) : null,
  ]);
  const coming = (up) => (up ? "" : dim("  (coming)"));
  const row = (label, value) => `  ${label.padEnd(16)} ${value}`;
  const rule = dim("─".repeat(78));
  const lines = [
    "",
    rule,
    bold("  EdgeDesk is running locally"),
    "",
    row("API and widget", `${PUBLIC_URL}   ${dim(`(OpenAPI: ${PUBLIC_URL}/api/v1/openapi.json)`)}`),
    row("Demo page", `${PUBLIC_URL}/demo${coming(demoPageUp)}`),
    row("Dashboard", `${DASHBOARD_URL}${dashboardUp ? "" : dim("  (not running; see the messages above)")}`),
    ...(directPort
      ? [row("Direct sockets", `ws://127.0.0.1:${directPort}   ${dim(`(WS_DIRECT_PORT=${directPort}: the runtime itself, no dev proxy; new on each start)`)}`)]
      : []),
    "",
    row("Demo login", `${state.email} / ${state.password}`),
    row("Workspace", state.workspace_id),
    row("Assistant", `${assistant.id} (${assistant.name})`),
    row("Admin key", state.admin_key.key),
    row("Widget key", `${state.widget_key.key} ${dim("(publishable)")}`),
    "",
    dim("  Try:  curl -H 'Authorization: Bearer " + state.admin_key.key + "' \\"),
    dim(`          ${PUBLIC_URL}/api/v1/assistants`),
    dim(`  Saved in .wrangler/demo.json. Delete .wrangler/ to reset. Ctrl-C stops.`),
    rule,
    "",
  ];
  console.log(lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------

/** How often start runs the scheduled housekeeping, as the deployed cron (every 15 minutes) does. */
const HOUSEKEEPING_INTERVAL_MS = 15 * 60_000;

/**
 * Runs the Worker's scheduled handler now and every 15 minutes (retention, erasure follow-ups,
 * and the sweep that re-sends documents and escalation notices a restart left stuck), because
 * the local server fires no cron triggers by itself.
 */
function runHousekeepingOnSchedule() {
  const run = async () => {
    try {
      const res = await fetch(`${API_ORIGIN}/__scheduled?cron=${encodeURIComponent("*/15 * * * *")}`);
      await res.body?.cancel();
      if (!res.ok) warn(`housekeeping run answered ${res.status}.`);
    } catch (err) {
      if (!stopping) warn(`housekeeping run failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  void run();
  setInterval(() => void run(), HOUSEKEEPING_INTERVAL_MS).unref();
}

async function main() {
  ensureDevVars();
  await assertPortFree(PORT, HOST);
  await applyMigrations();
  if (stopping) return;
  // The dashboard builds while the widget builds and the Worker starts.
  const dashboardBuilt = buildDashboard();
  dashboardBuilt.catch(() => undefined); // reported by runDashboard
  const widget = await buildDemoWidget();
  if (stopping) return;
  // With a demo workspace from an earlier start, the demo page's config is known before the
  // server starts: written now, it causes no reload later.
  const saved = readDemoState();
  if (saved?.assistant_id && saved.widget_key?.key) writeDemoPageConfig(demoPageConfigText(saved, widget));
  startWranglerDev();
  if (!(await waitForHealth())) return;
  const [demo] = await Promise.all([ensureDemoWorkspace(), runDashboard(dashboardBuilt)]);
  if (stopping) return;
  await ensureOperatorWorkspace(demo.state.workspace_id, saved?.workspace_id ?? null, demo.token);
  const configText = demoPageConfigText(demo.state, widget);
  if (writeDemoPageConfig(configText)) await waitForDemoPageConfig(configText);
  if (stopping) return;
  await uploadDemoDocuments(demo.state, demo.token);
  await ensureDemoActions(demo.state, demo.token);
  writeDemoState(demo.state);
  await printBanner(demo);
  runHousekeepingOnSchedule();
}

main().catch((err) => {
  if (stopping) return;
  warn(`error: ${err instanceof Error ? err.message : String(err)}`);
  if (isRunning(child)) {
    warn("wrangler dev keeps running; fix the problem above or press Ctrl-C to stop.");
    return;
  }
  process.exit(1);
});
