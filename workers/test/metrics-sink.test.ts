import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { AnalyticsEngineMetricsSink, dataPointOf } from "../src/metrics/analytics-engine-sink";
import { D1MetricsSink } from "../src/metrics/d1-metrics-sink";
import type { MetricPoint } from "../src/metrics/metrics-sink";
import { signUp } from "./helpers";
import { callWith } from "./metrics-helpers";

/** An Analytics Engine dataset binding that keeps what it was given, to read the layout back. */
function recordingDataset() {
  const points: AnalyticsEngineDataPoint[] = [];
  return { points, binding: { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p ?? {}) } as AnalyticsEngineDataset };
}

const SAMPLE: MetricPoint[] = [
  { kind: "request", at: 1, route: "/api/v1/conversations/:id", method: "GET", status: 503, duration_ms: 42 },
  { kind: "message", at: 2, model: "openai:gpt-4o-mini", status: "complete", latency_ms: 900, first_delta_ms: 250, retrieval_ms: 30, llm_ms: 800, tokens: 321 },
  { kind: "message", at: 3, model: null, status: "complete", latency_ms: 12, first_delta_ms: null, retrieval_ms: null, llm_ms: null, tokens: 0 },
  { kind: "queue_job", at: 4, queue: "edgedesk-ingest", outcome: "retry", duration_ms: 1500 },
];

/** Sets up the fake SQL API for a fresh account; returns its config and query log. */
async function sqlApi(answers: { match: string; data: Record<string, string | number | null>[] }[]) {
  const account = `acct${crypto.randomUUID().replace(/-/g, "")}`;
  const token = `cf-token-${crypto.randomUUID()}`;
  const setup = await fetch(`${env.OPS_FAKE_URL}/ae/${account}/setup`, { method: "POST", body: JSON.stringify({ token, answers }) });
  expect(setup.status).toBe(204);
  return {
    config: { baseUrl: `${env.OPS_FAKE_URL}/client/v4`, accountId: account, apiToken: token, dataset: "edgedesk_metrics" },
    log: async () => (await (await fetch(`${env.OPS_FAKE_URL}/ae/${account}/log`)).json()) as string[],
  };
}

/** Canned answers in the SQL API's shape (UInt64 quoted), for the queries a report makes. */
const ANSWERS = [
  { match: "GROUP BY method, route", data: [{ method: "POST", route: "/api/v1/conversations/:id/messages", n: "90", errors: "3", avg_ms: 123.456 }] },
  { match: "GROUP BY queue, outcome", data: [
    { queue: "edgedesk-ingest", outcome: "ok", n: "7" },
    { queue: "edgedesk-ingest", outcome: "retry", n: "2" },
    { queue: "edgedesk-ingest", outcome: "failed", n: "1" },
  ] },
  { match: "sum(double6 * _sample_interval) AS tokens", data: [{ n: "30", tokens: 4500, p50: 700, p95: 1400, p99: 2100 }] },
  { match: "double3 >= 0", data: [{ n: "30", p50: 150, p95: 300, p99: 450 }] },
  { match: "double4 >= 0", data: [{ n: "30", p50: 20, p95: 40, p99: 60 }] },
  { match: "double5 >= 0", data: [{ n: "0", p50: "nan", p95: "nan", p99: "nan" }] },
  { match: "blob1 = 'request'", data: [{ n: "120", errors: "6", p50: 35, p95: 180, p99: 420.04 }] },
];

describe("the metrics sinks", () => {
  it("lays each point out within Analytics Engine's limits: one index, at most 20 blobs and doubles", async () => {
    const { points, binding } = recordingDataset();
    await new AnalyticsEngineMetricsSink(binding, null).write(SAMPLE);
    expect(points).toEqual(SAMPLE.map(dataPointOf));
    expect(points[0]).toEqual({ indexes: ["request"], blobs: ["request", "/api/v1/conversations/:id", "GET"], doubles: [503, 42] });
    expect(points[1]).toEqual({ indexes: ["message"], blobs: ["message", "openai:gpt-4o-mini", "complete"], doubles: [0, 900, 250, 30, 800, 321] });
    // Times not measured are -1, which the report's percentiles leave out.
    expect(points[2]?.doubles).toEqual([0, 12, -1, -1, -1, 0]);
    expect(points[3]).toEqual({ indexes: ["queue_job"], blobs: ["queue_job", "edgedesk-ingest", "retry"], doubles: [0, 1500] });
    for (const p of points) {
      expect(p.indexes).toHaveLength(1);
      expect(new TextEncoder().encode(String(p.indexes?.[0])).length).toBeLessThanOrEqual(96);
      expect(p.blobs!.length).toBeLessThanOrEqual(20);
      expect(p.doubles!.length).toBeLessThanOrEqual(20);
      expect(new TextEncoder().encode((p.blobs ?? []).join("")).length).toBeLessThanOrEqual(16_384);
    }
  });

  it("cuts a very long route name instead of losing the point", async () => {
    const { points, binding } = recordingDataset();
    await new AnalyticsEngineMetricsSink(binding, null).write([{ kind: "request", at: 1, route: `/${"x".repeat(20_000)}`, method: "GET", status: 200, duration_ms: 1 }]);
    expect((points[0]?.blobs?.[1] as string).length).toBe(256);
  });

  it("reads a report back through the SQL API with the account's bearer token, for the period asked", async () => {
    const api = await sqlApi(ANSWERS);
    const sink = new AnalyticsEngineMetricsSink(recordingDataset().binding, api.config);
    const period = { from: Date.UTC(2026, 10, 1, 10, 0, 0), to: Date.UTC(2026, 10, 1, 11, 0, 0) };
    const report = await sink.report(period);
    expect(report).toEqual({
      from: "2026-11-01T10:00:00.000Z",
      to: "2026-11-01T11:00:00.000Z",
      source: "analytics_engine",
      requests: { count: 120, errors: 6, error_rate: 0.05, per_minute: 2, latency_ms: { p50: 35, p95: 180, p99: 420 } },
      routes: [{ method: "POST", route: "/api/v1/conversations/:id/messages", count: 90, errors: 3, avg_ms: 123.5 }],
      messages: {
        count: 30,
        per_minute: 0.5,
        tokens: 4500,
        first_delta_ms: { p50: 150, p95: 300, p99: 450 },
        latency_ms: { p50: 700, p95: 1400, p99: 2100 },
        retrieval_ms: { p50: 20, p95: 40, p99: 60 },
        llm_ms: { p50: null, p95: null, p99: null },
      },
      queues: [{ queue: "edgedesk-ingest", jobs: 10, ok: 7, retried: 2, failed: 1 }],
    });
    const queries = await api.log();
    expect(queries).toHaveLength(7);
    for (const q of queries) {
      expect(q).toContain("FROM edgedesk_metrics");
      expect(q).toContain("timestamp >= toDateTime('2026-11-01 10:00:00') AND timestamp < toDateTime('2026-11-01 11:00:00')");
      expect(q).toContain("_sample_interval"); // sampled rows count for what they stand for
      expect(q.endsWith("FORMAT JSON")).toBe(true);
    }
  });

  it("fails a report the SQL API refuses, naming the status and never the token", async () => {
    const api = await sqlApi(ANSWERS);
    const sink = new AnalyticsEngineMetricsSink(recordingDataset().binding, { ...api.config, apiToken: "cf-token-wrong" });
    const failure = await sink.report({ from: 0, to: 60_000 }).then(
      () => null,
      (err: unknown) => String(err),
    );
    expect(failure).toContain("401");
    expect(failure).not.toContain("cf-token");
  });

  it("serves the system health from Analytics Engine when the METRICS binding is there", async () => {
    const operator = await signUp("AE Operator");
    const api = await sqlApi(ANSWERS);
    const { binding, points } = recordingDataset();
    const overrides: Partial<Env> = {
      OPERATOR_WORKSPACE_ID: operator.workspace.id,
      METRICS: binding,
      CLOUDFLARE_ACCOUNT_ID: api.config.accountId,
      METRICS_API_TOKEN: api.config.apiToken,
      METRICS_SQL_API_BASE: api.config.baseUrl,
    };
    const res = await callWith(overrides, "GET", "/api/v1/analytics/system", { token: operator.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ source: "analytics_engine", requests: { count: 120, errors: 6 } });
    // The request itself went to the dataset, by its route pattern.
    expect(points).toContainEqual(expect.objectContaining({ blobs: ["request", "/api/v1/analytics/system", "GET"] }));

    const refused = await callWith({ ...overrides, METRICS_API_TOKEN: "wrong" }, "GET", "/api/v1/analytics/system", { token: operator.access_token });
    expect(refused.status).toBe(502);
    expect(refused.body.error.code).toBe("upstream_error");
  });

  it("records each queue job's outcome: handled, retried, or dead-lettered for the queue it came from", async () => {
    const ws = `ws_${crypto.randomUUID().replace(/-/g, "")}`;
    const queue = `metrics${crypto.randomUUID().slice(0, 8)}-analytics`;
    const started = Date.now() - 1_000;
    const event = (id: string) => ({ id, workspace_id: ws, type: "conversation.created", created_at: new Date().toISOString() });

    const good = createMessageBatch(queue, [1, 2, 3].map((i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body: event(`evt_${crypto.randomUUID()}`) })));
    await worker.queue(good, env);
    expect((await getQueueResult(good, createExecutionContext())).ackAll).toBe(true);

    // An event the store refuses (no workspace): the consumer hands the whole batch back.
    const bad = createMessageBatch(queue, [{ id: "b1", timestamp: new Date(), attempts: 1, body: { id: `evt_${crypto.randomUUID()}`, type: "x" } }]);
    await worker.queue(bad, env);
    expect((await getQueueResult(bad, createExecutionContext())).retryBatch.retry).toBe(true);

    const dead = createMessageBatch(`${queue}-dlq`, [{ id: "d1", timestamp: new Date(), attempts: 6, body: event(`evt_${crypto.randomUUID()}`) }]);
    await worker.queue(dead, env);

    const report = await new D1MetricsSink(env.DB).report({ from: started, to: Date.now() + 1_000 });
    expect(report.queues.find((q) => q.queue === queue)).toEqual({ queue, jobs: 5, ok: 3, retried: 1, failed: 1 });
  });
});
