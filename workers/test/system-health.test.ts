import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { D1MetricsSink } from "../src/metrics/d1-metrics-sink";
import { createAssistant, PASSWORD, signUp, uniqueEmail } from "./helpers";
import { callWith, quietHour } from "./metrics-helpers";

describe("GET /api/v1/analytics/system", () => {
  let operator: Awaited<ReturnType<typeof signUp>>;
  let other: Awaited<ReturnType<typeof signUp>>;
  let asOperator: Partial<Env>;

  beforeAll(async () => {
    operator = await signUp("Operator");
    other = await signUp("Tenant");
    asOperator = { OPERATOR_WORKSPACE_ID: operator.workspace.id };
  });

  it("answers 404 to any other workspace, even its admin, and when no operator is named", async () => {
    const res = await callWith(asOperator, "GET", "/api/v1/analytics/system", { token: other.access_token });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
    const unnamed = await callWith({ OPERATOR_WORKSPACE_ID: "" }, "GET", "/api/v1/analytics/system", { token: operator.access_token });
    expect(unnamed.status).toBe(404);
  });

  it("answers 401 without credentials and 403 to the operator's managers and viewers", async () => {
    expect((await callWith(asOperator, "GET", "/api/v1/analytics/system")).status).toBe(401);
    for (const role of ["viewer", "manager"] as const) {
      const email = uniqueEmail(role);
      const invite = await callWith(asOperator, "POST", "/api/v1/team/invites", { token: operator.access_token, body: { email, role } });
      expect(invite.status).toBe(201);
      const accepted = await callWith(asOperator, "POST", "/api/v1/invites/accept", {
        body: { token: invite.body.token, password: PASSWORD, name: role },
      });
      expect(accepted.status).toBe(201);
      const res = await callWith(asOperator, "GET", "/api/v1/analytics/system", { token: accepted.body.access_token });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
      const me = await callWith(asOperator, "GET", "/api/v1/auth/me", { token: accepted.body.access_token });
      expect(me.body.system_health).toBe(false);
    }
  });

  it("tells the operator's admin, and nobody else, that the system health is theirs to see", async () => {
    expect((await callWith(asOperator, "GET", "/api/v1/auth/me", { token: operator.access_token })).body.system_health).toBe(true);
    expect((await callWith(asOperator, "GET", "/api/v1/auth/me", { token: other.access_token })).body.system_health).toBe(false);
    expect((await callWith({}, "GET", "/api/v1/auth/me", { token: operator.access_token })).body.system_health).toBe(false);
  });

  it("refuses a period that ends before it starts or spans over 31 days", async () => {
    const backwards = await callWith(asOperator, "GET", "/api/v1/analytics/system?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", {
      token: operator.access_token,
    });
    expect(backwards.status).toBe(400);
    const long = await callWith(asOperator, "GET", "/api/v1/analytics/system?from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z", {
      token: operator.access_token,
    });
    expect(long.status).toBe(400);
    const bad = await callWith(asOperator, "GET", "/api/v1/analytics/system?from=yesterday", { token: operator.access_token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_request");
  });

  it("counts requests by route pattern, never by raw path, with their statuses", async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    for (let i = 0; i < 7; i++) expect((await callWith(asOperator, "GET", "/healthz")).status).toBe(200);
    for (const id of ["ast_missing1", "ast_missing2", "ast_missing3"]) {
      expect((await callWith(asOperator, "GET", `/api/v1/assistants/${id}`, { token: operator.access_token })).status).toBe(404);
    }
    const res = await callWith(asOperator, "GET", `/api/v1/analytics/system?from=${from}`, { token: operator.access_token });
    expect(res.status).toBe(200);
    expect(res.body.source).toBe("d1");
    const route = (method: string, pattern: string) => res.body.routes.find((r: { method: string; route: string }) => r.method === method && r.route === pattern);
    expect(route("GET", "/healthz")).toMatchObject({ count: 7, errors: 0 });
    expect(route("GET", "/api/v1/assistants/:id")).toMatchObject({ count: 3, errors: 0 });
    expect(res.body.routes.some((r: { route: string }) => r.route.includes("ast_missing"))).toBe(false);
    expect(res.body.requests.count).toBeGreaterThanOrEqual(10);
    expect(res.body.requests.latency_ms.p50).not.toBeNull();
  });

  it("reports error rate, percentiles and throughput from the points of a period", async () => {
    const hour = quietHour();
    const sink = new D1MetricsSink(env.DB);
    // 40 requests over the hour: durations 10, 20, …, 400 ms; the last four answered 503.
    await sink.write(
      Array.from({ length: 40 }, (_, i) => ({
        kind: "request" as const,
        at: hour + i * 60_000,
        route: "/api/v1/conversations/:id/messages",
        method: "POST",
        status: i >= 36 ? 503 : 200,
        duration_ms: (i + 1) * 10,
      })),
    );
    // 20 answers: full latency 100…2000 ms, first delta a tenth of it, retrieval 5 ms, model the rest minus 5.
    await sink.write(
      Array.from({ length: 20 }, (_, i) => ({
        kind: "message" as const,
        at: hour + i * 60_000,
        model: "extractive",
        status: "complete",
        latency_ms: (i + 1) * 100,
        first_delta_ms: (i + 1) * 10,
        retrieval_ms: 5,
        llm_ms: (i + 1) * 100 - 5,
        tokens: 12,
      })),
    );
    await sink.write([
      { kind: "queue_job", at: hour + 1_000, queue: "edgedesk-ingest", outcome: "ok", duration_ms: 40 },
      { kind: "queue_job", at: hour + 2_000, queue: "edgedesk-ingest", outcome: "retry", duration_ms: 40 },
      { kind: "queue_job", at: hour + 3_000, queue: "edgedesk-ingest", outcome: "failed", duration_ms: 40 },
    ]);
    const from = new Date(hour).toISOString();
    const to = new Date(hour + 3_600_000).toISOString();
    const res = await callWith(asOperator, "GET", `/api/v1/analytics/system?from=${from}&to=${to}`, { token: operator.access_token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      from,
      to,
      source: "d1",
      requests: { count: 40, errors: 4, error_rate: 0.1, per_minute: 0.67, latency_ms: { p50: 200, p95: 380, p99: 400 } },
      routes: [{ method: "POST", route: "/api/v1/conversations/:id/messages", count: 40, errors: 4, avg_ms: 205 }],
      messages: {
        count: 20,
        per_minute: 0.33,
        tokens: 240,
        first_delta_ms: { p50: 100, p95: 190, p99: 200 },
        latency_ms: { p50: 1000, p95: 1900, p99: 2000 },
        retrieval_ms: { p50: 5, p95: 5, p99: 5 },
        llm_ms: { p50: 995, p95: 1895, p99: 1995 },
      },
      queues: [{ queue: "edgedesk-ingest", jobs: 3, ok: 1, retried: 1, failed: 1 }],
    });
  });

  it("measures an answered message's first delta, retrieval and model time, and its analytics queue job", async () => {
    const from = new Date(Date.now() - 1_000).toISOString();
    const assistant = await createAssistant(operator.access_token);
    const started = await callWith(asOperator, "POST", "/api/v1/conversations", {
      token: operator.access_token,
      body: { assistant_id: assistant.id, visitor_id: "visitor-metrics", channel: "api" },
    });
    expect(started.status).toBe(201);
    const answered = await callWith(asOperator, "POST", `/api/v1/conversations/${started.body.conversation_id}/messages`, {
      token: operator.access_token,
      body: { content: "How do refunds work?" },
    });
    expect(answered.status).toBe(200);
    await expect
      .poll(
        async () => {
          const res = await callWith(asOperator, "GET", `/api/v1/analytics/system?from=${from}`, { token: operator.access_token });
          return res.body;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toMatchObject({
        messages: {
          count: expect.any(Number),
          first_delta_ms: { p50: expect.any(Number) },
          retrieval_ms: { p50: expect.any(Number) },
          llm_ms: { p50: expect.any(Number) },
          latency_ms: { p50: expect.any(Number) },
        },
        queues: expect.arrayContaining([expect.objectContaining({ queue: "edgedesk-analytics", ok: expect.any(Number) })]),
      });
  });
});
