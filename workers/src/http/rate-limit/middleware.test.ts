import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createAssistant, createSecretKey, signUp } from "../../../test/helpers";
import type { Principal } from "../../auth/principal";
import { MONTHLY_CALLS_BY_PLAN, type Plan } from "../../billing/plans";
import { DAY_MS } from "../../lib/time";
import { burstPerMinute, burstWindow, monthlyWindow } from "../../limits/call-windows";
import { subjectOf } from "../../limits/subject";

// The limits this run is configured with (wrangler.toml, or a test override of the variables),
// so these tests hold whatever other suites need the burst limits to be.
const KEY_BURST = burstPerMinute("key", env) ?? 0;
const USER_BURST = burstPerMinute("user", env) ?? 0;
const VISITOR_BURST = burstPerMinute("visitor", env) ?? 0;
// Up to this many calls before a burst limit go through the API (all of them at the defaults);
// beyond it, as under a raised test override, the rest are counted directly in the object.
const MAX_CALLS_OVER_HTTP = 100;

/** A new workspace on `plan` with a viewer secret key; the plan is set before any metered call. */
async function workspaceWithKey(plan: Plan = "starter") {
  const signup = await signUp("Limits");
  if (plan !== "starter") {
    await env.DB.prepare("UPDATE workspaces SET plan = ? WHERE id = ?").bind(plan, signup.workspace.id).run();
  }
  const key = await createSecretKey(signup.access_token, "viewer");
  return { ...signup, key };
}

/** Counts `calls` against a key's monthly window directly, instead of making them over HTTP. */
async function preloadMonthly(keyId: string, calls: number) {
  const decision = await env.RATE_LIMITER.getByName(`key:${keyId}`).hit([monthlyWindow(calls)], { cost: calls });
  expect(decision.allowed).toBe(true);
}

/** Counts the calls of a burst limit beyond the last `MAX_CALLS_OVER_HTTP` directly against `subject`. */
async function preloadBurst(subject: string, limit: number) {
  const calls = limit - MAX_CALLS_OVER_HTTP;
  if (calls <= 0) return;
  const decision = await env.RATE_LIMITER.getByName(subject).hit([burstWindow(limit)], { cost: calls });
  expect(decision.allowed).toBe(true);
}

/** Makes the remaining calls of a key's burst limit over HTTP, checking the countdown. */
async function useUpKeyBurst(key: { id: string; key: string }) {
  await preloadBurst(`key:${key.id}`, KEY_BURST);
  for (let left = Math.min(KEY_BURST, MAX_CALLS_OVER_HTTP) - 1; left >= 0; left--) {
    const res = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(res.status).toBe(200);
    expect(limitHeaders(res.headers)).toMatchObject({ limit: KEY_BURST, remaining: left });
  }
}

/** Calls counted per window for a subject, read from its Durable Object's SQLite. */
async function storedCounts(subject: string): Promise<Record<string, number>> {
  return runInDurableObject(env.RATE_LIMITER.getByName(subject), (_instance, state) => {
    const rows = state.storage.sql
      .exec<{ window_key: string; total: number }>("SELECT window_key, SUM(count) AS total FROM buckets GROUP BY window_key")
      .toArray();
    return Object.fromEntries(rows.map((r) => [r.window_key.split(":")[0] ?? "", r.total]));
  });
}

function limitHeaders(headers: Headers) {
  return {
    limit: Number(headers.get("x-ratelimit-limit")),
    remaining: Number(headers.get("x-ratelimit-remaining")),
    reset: Number(headers.get("x-ratelimit-reset")),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The headers a starter key's first call reports: whichever window has fewer calls left. */
function afterFirstStarterCall() {
  const monthly = MONTHLY_CALLS_BY_PLAN.starter ?? 0;
  return KEY_BURST && KEY_BURST <= monthly
    ? { limit: KEY_BURST, remaining: KEY_BURST - 1 }
    : { limit: monthly, remaining: monthly - 1 };
}

describe("rate limiting through the API", () => {
  it.skipIf(!KEY_BURST)("counts a key's calls down to the burst limit, then answers 429 with Retry-After", async () => {
    const { key } = await workspaceWithKey();
    await preloadBurst(`key:${key.id}`, KEY_BURST);
    for (let left = Math.min(KEY_BURST, MAX_CALLS_OVER_HTTP) - 1; left >= 0; left--) {
      const res = await call("GET", "/api/v1/assistants", { token: key.key });
      expect(res.status).toBe(200);
      const h = limitHeaders(res.headers);
      expect(h).toMatchObject({ limit: KEY_BURST, remaining: left });
      expect(h.reset).toBeGreaterThan(nowSeconds());
      expect(h.reset).toBeLessThanOrEqual(nowSeconds() + 71); // a minute plus one 10 s bucket
    }

    const refused = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({
      error: {
        code: "rate_limited",
        message: expect.any(String),
        details: { window: "burst", limit: KEY_BURST, retry_after_seconds: expect.any(Number) },
      },
    });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(71);
    expect(refused.body.error.details.retry_after_seconds).toBe(retryAfter);
    expect(limitHeaders(refused.headers)).toMatchObject({ limit: KEY_BURST, remaining: 0 });
    expect(refused.headers.get("x-request-id")).toMatch(/^req_/);
  });

  it.skipIf(!KEY_BURST)("does not count refused calls against any window", async () => {
    const { key } = await workspaceWithKey();
    await useUpKeyBurst(key);
    for (let i = 0; i < 5; i++) {
      expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(429);
    }
    const overHttp = Math.min(KEY_BURST, MAX_CALLS_OVER_HTTP);
    expect(await storedCounts(`key:${key.id}`)).toEqual({ burst: KEY_BURST, monthly: overHttp });
  });

  it.skipIf(!KEY_BURST)("limits each key on its own: a second key of the same workspace is unaffected", async () => {
    const { access_token, key } = await workspaceWithKey();
    const other = await createSecretKey(access_token, "viewer");
    await useUpKeyBurst(key);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(429);

    const res = await call("GET", "/api/v1/assistants", { token: other.key });
    expect(res.status).toBe(200);
    expect(limitHeaders(res.headers)).toMatchObject(afterFirstStarterCall());
  });

  it.skipIf(KEY_BURST > 0 && KEY_BURST < 3)("holds a starter workspace to 5,000 calls per 30 days", async () => {
    const { key } = await workspaceWithKey("starter");
    await preloadMonthly(key.id, 4_998);

    const last = [];
    for (let i = 0; i < 2; i++) last.push(await call("GET", "/api/v1/assistants", { token: key.key }));
    expect(last.map((r) => r.status)).toEqual([200, 200]);
    expect(last.map((r) => limitHeaders(r.headers))).toMatchObject([
      { limit: 5_000, remaining: 1 },
      { limit: 5_000, remaining: 0 },
    ]);

    const refused = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: "rate_limited", details: { window: "monthly", limit: 5_000 } });
    expect(refused.body.error.message).toMatch(/monthly/);
    // The calls were made today; they start sliding out 30 days on, within the day they were made.
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan((29 * DAY_MS) / 1000);
    expect(retryAfter).toBeLessThanOrEqual((31 * DAY_MS) / 1000);
    expect(limitHeaders(refused.headers)).toMatchObject({ limit: 5_000, remaining: 0 });
    expect(await storedCounts(`key:${key.id}`)).toEqual(KEY_BURST ? { burst: 2, monthly: 5_000 } : { monthly: 5_000 });
  });

  it("gives a pro workspace 50,000 calls per 30 days", async () => {
    const { key } = await workspaceWithKey("pro");
    await preloadMonthly(key.id, 49_999);
    const res = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(res.status).toBe(200);
    expect(limitHeaders(res.headers)).toMatchObject({ limit: 50_000, remaining: 0 });
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(429);
  });

  it("sets no monthly limit for an enterprise workspace, only the burst limit", async () => {
    const { key } = await workspaceWithKey("enterprise");
    await preloadMonthly(key.id, 1_000_000);
    const res = await call("GET", "/api/v1/assistants", { token: key.key });
    expect(res.status).toBe(200);
    if (KEY_BURST) expect(limitHeaders(res.headers)).toMatchObject({ limit: KEY_BURST, remaining: KEY_BURST - 1 });
    else expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it.skipIf(!USER_BURST)("limits dashboard users per minute but not per month", async () => {
    const { access_token, user } = await workspaceWithKey();
    const res = await call("GET", "/api/v1/assistants", { token: access_token });
    expect(res.status).toBe(200);
    expect(limitHeaders(res.headers).limit).toBe(USER_BURST);
    expect(Object.keys(await storedCounts(`user:${user.id}`))).toEqual(["burst"]);
  });

  it("counts calls it refuses for lack of rights, and still reports the limits on them", async () => {
    const { key } = await workspaceWithKey();
    const res = await call("POST", "/api/v1/assistants", { token: key.key, body: { name: "Nope" } });
    expect(res.status).toBe(403);
    expect(limitHeaders(res.headers)).toMatchObject(afterFirstStarterCall());
  });

  it("leaves unauthenticated calls alone", async () => {
    const res = await call("GET", "/api/v1/assistants");
    expect(res.status).toBe(401);
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it.skipIf(!VISITOR_BURST)("counts a widget key's visitors per client IP", async () => {
    const { access_token, workspace } = await workspaceWithKey();
    const assistant = await createAssistant(access_token);
    const origin = "https://shop.example";
    const created = await call("POST", "/api/v1/api-keys", {
      token: access_token,
      body: { name: "widget", type: "publishable", assistant_id: assistant.id, allowed_origins: [origin] },
    });
    expect(created.status).toBe(201);
    const visitor = (ip: string) =>
      call("GET", "/api/v1/assistants", { token: created.body.key, headers: { Origin: origin, "CF-Connecting-IP": ip } });
    const widget = {
      kind: "publishable_key",
      workspaceId: workspace.id,
      keyId: created.body.id,
      assistantId: assistant.id,
      allowedOrigins: [origin],
    } as const satisfies Principal;

    // The route itself is for staff (403), but every authenticated call counts.
    await preloadBurst(subjectOf(widget, "203.0.113.7").name, VISITOR_BURST);
    for (let left = Math.min(VISITOR_BURST, MAX_CALLS_OVER_HTTP) - 1; left >= 0; left--) {
      const res = await visitor("203.0.113.7");
      expect(res.status).toBe(403);
      expect(limitHeaders(res.headers)).toMatchObject({ limit: VISITOR_BURST, remaining: left });
    }
    const refused = await visitor("203.0.113.7");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toMatch(/^\d+$/);

    // Another IP starts fresh; its headers report whichever window is tighter for it.
    const elsewhere = await visitor("198.51.100.9");
    expect(elsewhere.status).toBe(403);
    const tightest = Math.min(VISITOR_BURST, MONTHLY_CALLS_BY_PLAN.starter ?? Infinity);
    expect(limitHeaders(elsewhere.headers)).toMatchObject({ limit: tightest, remaining: tightest - 1 });
  });
});
