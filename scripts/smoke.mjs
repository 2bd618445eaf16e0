#!/usr/bin/env node
/**
 * `node scripts/smoke.mjs <base-url>`: checks that a deployed Worker (a version's preview URL, or
 * the live address) answers as a working EdgeDesk does, without signing in and without writing
 * anything: liveness, readiness (database, files, vector store, required secrets), a public
 * file, the API refusing an anonymous call in the API's error shape, and the OpenAPI document.
 * Prints one line per check; exits 0 when all pass, 1 when one fails, 2 on bad usage.
 */
import { pathToFileURL } from "node:url";

const CHECK_TIMEOUT_MS = 15_000; // a cold Worker answers within a second or two; this is for a slow network
const ATTEMPTS = 3; // a freshly uploaded version can take a moment to be served everywhere
const RETRY_WAIT_MS = 2_000;

/** The checks, in order: each gets the response and returns a problem, or null when it passed. */
const CHECKS = [
  {
    name: "liveness",
    path: "/healthz",
    check: (res, body) => (res.status === 200 && body?.ok === true && typeof body.version === "string" ? null : `want 200 {ok:true, version}`),
  },
  {
    name: "readiness",
    path: "/readyz",
    check: (res, body) => {
      if (res.status === 200 && body?.ok === true) return null;
      const failed = Array.isArray(body?.checks) ? body.checks.filter((c) => !c.ok).map((c) => c.name) : [];
      return `want 200 {ok:true}; failing: ${failed.join(", ") || "unknown"}${body?.missing?.length ? `; missing secrets: ${body.missing.join(", ")}` : ""}`;
    },
  },
  {
    name: "public file",
    path: "/robots.txt",
    check: (res, _body, text) => (res.status === 200 && text.length > 0 ? null : "want 200 with a body"),
  },
  {
    name: "anonymous API call refused",
    path: "/api/v1/assistants",
    check: (res, body) =>
      res.status === 401 && body?.error?.code === "unauthorized" && typeof body.error.message === "string" && res.headers.get("x-request-id")
        ? null
        : "want 401 {error:{code:'unauthorized'}} with X-Request-Id",
  },
  {
    name: "OpenAPI document",
    path: "/api/v1/openapi.json",
    check: (res, body) =>
      res.status === 200 && typeof body?.openapi === "string" && body.paths && Object.keys(body.paths).length > 0 ? null : "want 200 with openapi and paths",
  },
];

/**
 * Runs every check against `baseUrl`; resolves with `{ok, results: [{name, path, ok, problem}]}`.
 * `log` gets one line per check.
 * @param {string} baseUrl
 * @param {{ log?: (line: string) => void, attempts?: number, retryWaitMs?: number }} [options]
 */
export async function runSmoke(baseUrl, { log = () => {}, attempts = ATTEMPTS, retryWaitMs = RETRY_WAIT_MS } = {}) {
  const base = new URL(baseUrl);
  const results = [];
  for (const { name, path, check } of CHECKS) {
    let problem = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      problem = await runCheck(new URL(path, base), check);
      if (problem === null) break;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, retryWaitMs));
    }
    results.push({ name, path, ok: problem === null, problem });
    log(`${problem === null ? "ok  " : "FAIL"} ${name} (GET ${path})${problem === null ? "" : `: ${problem}`}`);
  }
  return { ok: results.every((r) => r.ok), results };
}

async function runCheck(url, check) {
  let res;
  let text;
  try {
    res = await fetch(url, { headers: { Accept: "application/json" }, redirect: "manual", signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    return `no answer (${err instanceof Error ? err.message : String(err)})`;
  }
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the checks that need JSON say so
  }
  const problem = check(res, body, text);
  return problem === null ? null : `${problem}, got ${res.status}`;
}

async function main() {
  const base = process.argv[2];
  if (!base || !/^https?:\/\//.test(base)) {
    console.error("usage: node scripts/smoke.mjs <base-url>   (e.g. https://edgedesk.example.workers.dev)");
    return 2;
  }
  const { ok } = await runSmoke(base, { log: (line) => console.log(`[smoke] ${line}`) });
  console.log(ok ? `[smoke] ${base}: all checks passed` : `[smoke] ${base}: failed`);
  return ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[smoke] ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(2);
    },
  );
}
