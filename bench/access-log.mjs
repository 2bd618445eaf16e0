/**
 * What the Worker's access-log line (`ACCESS_LOG`) costs a request under `wrangler dev`: two
 * local Workers of this repository side by side, one with the line on and one with it off (as
 * `npm start` runs it), and a one-line Worker as the floor, each behind its own `wrangler dev`;
 * the same client sends `GET /healthz` and `GET /assistants/:id` (auth and one D1 read) to each
 * in turn, so a busy moment of the machine falls on all of them alike.
 *
 * Knobs (environment): ACCESS_LOG_BENCH_REQUESTS (1,000 per row after 30 warm-up).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { apiClient, loadAverage, percentile, signUpWithAssistant, startEmptyWorker, startLocalWorker } from "./_lib.mjs";

export const description = "Cost of the access-log line per request (ACCESS_LOG on vs off vs a one-line Worker, interleaved, wrangler dev)";

const REQUESTS = Number(process.env.ACCESS_LOG_BENCH_REQUESTS ?? 1_000);
const WARM_UP = 30;

export default async function run({ tmpDir, log }) {
  const started = { date: new Date().toISOString(), load: loadAverage() };
  const servers = [];
  try {
    const targets = [];
    for (const setting of ["on", "off"]) {
      const dir = join(tmpDir, setting);
      mkdirSync(dir, { recursive: true });
      const worker = await startLocalWorker({ tmpDir: dir, log, vars: { ACCESS_LOG: setting } });
      servers.push(worker.server);
      const api = apiClient(worker.base);
      const { token, assistantId } = await signUpWithAssistant(api, { workspaceName: `Access log ${setting}` });
      targets.push({ name: `ACCESS_LOG=${setting}`, api, token, assistantId });
    }
    const empty = await startEmptyWorker(join(tmpDir, "empty-worker"));
    servers.push(empty.server);
    const floor = { name: "one-line Worker", api: apiClient(empty.base) };

    const rows = [];
    for (const [label, path] of [
      ["GET /healthz", () => "/healthz"],
      ["GET /assistants/:id", (t) => `/api/v1/assistants/${t.assistantId}`],
    ]) {
      const subjects = label === "GET /healthz" ? [...targets, floor] : targets;
      const times = subjects.map(() => []);
      log(`${label}: ${REQUESTS} requests to each of ${subjects.length}, interleaved (load ${loadAverage()})…`);
      for (let i = 0; i < WARM_UP + REQUESTS; i++) {
        for (const [j, t] of subjects.entries()) {
          const res = await t.api.call("GET", t === floor ? "/" : path(t), { token: t.token });
          if (res.status !== 200) throw new Error(`${t.name} ${label} answered ${res.status}`);
          if (i >= WARM_UP) times[j].push(res.ms);
        }
      }
      for (const [j, t] of subjects.entries()) {
        const mean = times[j].reduce((a, b) => a + b, 0) / times[j].length;
        rows.push([label, t.name, times[j].length, percentile(times[j], 50).toFixed(1), percentile(times[j], 90).toFixed(1), percentile(times[j], 99).toFixed(1), mean.toFixed(2)]);
      }
    }
    return {
      title: "The access-log line under wrangler dev: the same requests with ACCESS_LOG on and off, interleaved",
      columns: ["request", "server", "requests", "p50 ms", "p90 ms", "p99 ms", "mean ms"],
      rows,
      notes: [
        `Round trips measured by one client over 127.0.0.1, one request at a time, each server in turn; ${WARM_UP} unrecorded warm-up rounds. Each server is its own wrangler dev (fresh database, offline defaults).`,
        `${started.date}; load average at start ${started.load}, at end ${loadAverage()}.`,
      ],
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}
