import { createScheduledController, env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import worker from "../src/index";
import { D1MetricsSink } from "../src/metrics/d1-metrics-sink";
import type { MetricPoint } from "../src/metrics/metrics-sink";
import { quietHour } from "./metrics-helpers";

const WINDOW_MS = 15 * 60_000;
const SECRET = "alert-signing-secret-for-tests";

interface Received {
  headers: Record<string, string>;
  body: string;
}

/** A fresh pair of inboxes on the fake receivers, and the bindings that send alerts to them. */
function receivers(name = crypto.randomUUID()) {
  const webhook = `${env.OPS_FAKE_URL}/webhook/${name}`;
  const slack = `${env.OPS_FAKE_URL}/slack/${name}`;
  return {
    bindings: { ALERT_WEBHOOK_URL: webhook, ALERT_WEBHOOK_SECRET: SECRET, ALERT_SLACK_WEBHOOK_URL: slack } satisfies Partial<Env>,
    webhook: async () => (await (await fetch(`${webhook}/log`)).json()) as Received[],
    slack: async () => (await (await fetch(`${slack}/log`)).json()) as Received[],
  };
}

/** Runs the Worker's scheduled handler at `at` with `overrides` on the test bindings. */
async function tick(at: number, overrides: Partial<Env>): Promise<void> {
  await worker.scheduled(createScheduledController({ scheduledTime: at, cron: "*/15 * * * *" }), { ...env, ...overrides });
}

/** `n` request points in the window ending at `end`, the first `errors` of them answered 500. */
function requests(end: number, n: number, errors: number): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: "request",
    at: end - WINDOW_MS + i * 1_000,
    route: "/api/v1/conversations/:id/messages",
    method: "POST",
    status: i < errors ? 500 : 200,
    duration_ms: 30,
  }));
}

/** Checks the generic webhook's signature the way a receiver would; returns the parsed body. */
async function verified(notice: Received): Promise<{ type: string; alert: string; summary: string }> {
  const timestamp = notice.headers["x-edgedesk-timestamp"] ?? "";
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
  const hex = (notice.headers["x-edgedesk-signature"] ?? "").replace(/^v1=/, "");
  const signature = new Uint8Array(hex.match(/../g)?.map((h) => parseInt(h, 16)) ?? []);
  const ok = await crypto.subtle.verify("HMAC", key, signature, new TextEncoder().encode(`${timestamp}.${notice.body}`));
  expect(ok).toBe(true);
  return JSON.parse(notice.body);
}

describe("alerts from the scheduled handler", () => {
  const sink = new D1MetricsSink(env.DB);

  beforeEach(async () => {
    // Alert state is the deployment's; this file starts from none open.
    await env.DB.prepare("DELETE FROM alert_states").run();
  });

  it("opens an error-rate alert once, signed, and sends a recovery when it clears", async () => {
    const to = receivers();
    const first = quietHour() + WINDOW_MS;
    await sink.write(requests(first, 30, 3)); // 10% answered 500
    await tick(first, to.bindings);
    await tick(first + 1_000, to.bindings); // the same burst still in the window: no second notice

    const opened = (await to.webhook()).map((n) => n.body);
    expect(opened).toHaveLength(1);
    const notice = await verified((await to.webhook())[0]!);
    expect(notice).toMatchObject({ type: "alert.opened", alert: "error_rate" });
    expect(notice.summary).toContain("3 of 30 requests");
    const slack = await to.slack();
    expect(slack).toHaveLength(1);
    expect(JSON.parse(slack[0]!.body).text).toContain("error_rate");

    const later = first + WINDOW_MS;
    await sink.write(requests(later, 30, 0));
    await tick(later, to.bindings);
    const all = await to.webhook();
    expect(all).toHaveLength(2);
    expect(await verified(all[1]!)).toMatchObject({ type: "alert.resolved", alert: "error_rate" });
  });

  it("judges nothing on too few requests: two failures of five calls are not an alert", async () => {
    const to = receivers();
    const at = quietHour() + WINDOW_MS;
    await sink.write(requests(at, 5, 2));
    await tick(at, to.bindings);
    expect(await to.webhook()).toEqual([]);
  });

  it("opens a latency alert when the 95th percentile answer takes over a second", async () => {
    const to = receivers();
    const at = quietHour() + WINDOW_MS;
    await sink.write(
      Array.from({ length: 8 }, (_, i) => ({
        kind: "message" as const,
        at: at - 60_000 * (i + 1),
        model: "openai:gpt-test",
        status: "complete",
        latency_ms: 400 + i * 200, // p95 of 400…1800 is 1800
        first_delta_ms: 200,
        retrieval_ms: 20,
        llm_ms: 300 + i * 200,
        tokens: 50,
      })),
    );
    await tick(at, to.bindings);
    const notices = await Promise.all((await to.webhook()).map(verified));
    expect(notices).toEqual([expect.objectContaining({ type: "alert.opened", alert: "message_latency_p95" })]);
    expect(notices[0]!.summary).toContain("1800 ms");
  });

  it("alerts when the vector store or the model provider fails its probe, and recovers with them", async () => {
    const to = receivers();
    const at = quietHour() + WINDOW_MS;
    const broken: Partial<Env> = {
      ...to.bindings,
      VECTOR_STORE: "vectorize", // with no VECTORIZE binding
      CHAT_MODEL: "openai:gpt-test",
      OPENAI_API_KEY: "sk-test-probe",
      OPENAI_BASE_URL: `${env.OPS_FAKE_URL}/provider/down/v1`,
    };
    await tick(at, broken);
    const opened = await Promise.all((await to.webhook()).map(verified));
    expect(opened.map((n) => `${n.type} ${n.alert}`).sort()).toEqual(["alert.opened probe:model_provider", "alert.opened probe:vector_store"]);

    await tick(at + 60_000, broken);
    expect(await to.webhook()).toHaveLength(2);

    await tick(at + 120_000, { ...broken, VECTOR_STORE: "local", OPENAI_BASE_URL: `${env.OPS_FAKE_URL}/provider/up/v1` });
    const all = await Promise.all((await to.webhook()).map(verified));
    expect(all.slice(2).map((n) => `${n.type} ${n.alert}`).sort()).toEqual(["alert.resolved probe:model_provider", "alert.resolved probe:vector_store"]);
  });

  it("sends a notice no destination took again on the next run", async () => {
    const down = receivers(`down-${crypto.randomUUID()}`);
    const at = quietHour() + WINDOW_MS;
    const broken: Partial<Env> = { ALERT_WEBHOOK_URL: down.bindings.ALERT_WEBHOOK_URL, ALERT_WEBHOOK_SECRET: SECRET, VECTOR_STORE: "vectorize" };
    await tick(at, broken);
    await tick(at + 60_000, broken);
    const tries = await Promise.all((await down.webhook()).map(verified));
    expect(tries.map((n) => `${n.type} ${n.alert}`)).toEqual(["alert.opened probe:vector_store", "alert.opened probe:vector_store"]);
  });
});
