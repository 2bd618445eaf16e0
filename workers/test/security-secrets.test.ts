import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { call, createSecretKey, PASSWORD, signUp, uniqueEmail } from "./helpers";

/** The deployment under test with some of its settings replaced (or removed, with `undefined`). */
type EnvOverride = Partial<Record<keyof Env, unknown>>;

/** The fields these tests read from error and readiness answers. */
interface AnswerBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  ok: boolean;
  checks: Record<string, unknown>[];
  missing: string[];
}

/** Calls the Worker's real fetch handler as a deployment whose settings differ from the test run's. */
async function callAs(overrides: EnvOverride, method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const headers = new Headers();
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  if (opts.body !== undefined) headers.set("content-type", "application/json");
  const request = new Request(`http://api.test${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...overrides } as Env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as AnswerBody) : null };
}

const NO_JWT_SECRET = { JWT_SECRET: undefined };
const NO_ENCRYPTION_KEYS = { ENCRYPTION_KEYS: undefined };

async function rowCount(sql: string, ...binds: unknown[]): Promise<number> {
  return (await env.DB.prepare(sql).bind(...binds).first<{ n: number }>())!.n;
}

describe("a deployment without JWT_SECRET", () => {
  it("refuses sign-in with 503 misconfigured naming JWT_SECRET, and signs nobody in", async () => {
    const s = await signUp("NoJwt");
    const sessionsBefore = await rowCount("select count(*) as n from refresh_tokens where user_id = ?", s.user.id);

    const res = await callAs(NO_JWT_SECRET, "POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } });
    expect(res.status).toBe(503);
    expect(res.body!.error).toMatchObject({ code: "misconfigured", details: { variable: "JWT_SECRET" } });
    expect(res.body!.error.message).toMatch(/JWT_SECRET is not set/);
    expect(await rowCount("select count(*) as n from refresh_tokens where user_id = ?", s.user.id)).toBe(sessionsBefore);
    const row = await env.DB.prepare("select last_login_at from users where id = ?").bind(s.user.id).first<{ last_login_at: string | null }>();
    expect(row!.last_login_at).toBeNull();
  });

  it("refuses sign-up, refresh and token-bearing calls the same way, creating nothing", async () => {
    const s = await signUp("NoJwt");
    const email = uniqueEmail("nojwt");
    const signup = await callAs(NO_JWT_SECRET, "POST", "/api/v1/workspaces", { body: { workspace_name: "Never", email, password: PASSWORD } });
    expect(signup.status).toBe(503);
    expect(signup.body!.error.details).toEqual({ variable: "JWT_SECRET" });
    expect(await rowCount("select count(*) as n from users where email = ?", email)).toBe(0);

    const refresh = await callAs(NO_JWT_SECRET, "POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } });
    expect(refresh.status).toBe(503);
    // The refresh token was not spent: the configured deployment still takes it.
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } })).status).toBe(200);

    // A valid access token is not "unauthorized" on a deployment that cannot check it: it is misconfigured.
    const me = await callAs(NO_JWT_SECRET, "GET", "/api/v1/assistants", { token: s.access_token });
    expect(me.status).toBe(503);
    expect(me.body!.error.code).toBe("misconfigured");

    // Secret API keys need no JWT_SECRET and keep working.
    const key = await createSecretKey(s.access_token, "viewer");
    expect((await callAs(NO_JWT_SECRET, "GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
  });

  it("treats a short JWT_SECRET as missing, and never echoes the value", async () => {
    const s = await signUp("ShortJwt");
    const weak = "q".repeat(31);
    const res = await callAs({ JWT_SECRET: weak }, "POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } });
    expect(res.status).toBe(503);
    expect(res.body!.error.message).toMatch(/JWT_SECRET is shorter than 32 characters/);
    expect(res.text).not.toContain(weak);
  });
});

describe("a deployment without ENCRYPTION_KEYS", () => {
  it("refuses to store integration secrets with 503 misconfigured naming ENCRYPTION_KEYS, and stores nothing", async () => {
    const s = await signUp("NoKeys");
    const body = { config: { team_id: "T777" }, secrets: { bot_token: "xoxb-never-stored", signing_secret: "sign-never" } };
    const res = await callAs(NO_ENCRYPTION_KEYS, "PUT", "/api/v1/integrations/slack", { token: s.access_token, body });
    expect(res.status).toBe(503);
    expect(res.body!.error).toMatchObject({ code: "misconfigured", details: { variable: "ENCRYPTION_KEYS" } });
    expect(res.body!.error.message).toMatch(/ENCRYPTION_KEYS is not set/);
    expect(await rowCount("select count(*) as n from integrations where workspace_id = ?", s.workspace.id)).toBe(0);

    // A malformed key ring is named too, without a byte of it in the answer.
    const bad = "k1:bm90LWEtMzItYnl0ZS1rZXk=";
    const invalid = await callAs({ ENCRYPTION_KEYS: bad }, "PUT", "/api/v1/integrations/slack", { token: s.access_token, body });
    expect(invalid.status).toBe(503);
    expect(invalid.body!.error.message).toMatch(/ENCRYPTION_KEYS is invalid/);
    expect(invalid.text).not.toContain("bm90LWEtMzItYnl0ZS1rZXk");
    expect(await rowCount("select count(*) as n from integrations where workspace_id = ?", s.workspace.id)).toBe(0);
  });

  it("refuses to read secrets stored under the configured keys instead of trying a built-in one", async () => {
    const s = await signUp("NoKeysRead");
    const put = await call("PUT", "/api/v1/integrations/slack", {
      token: s.access_token,
      body: { config: { team_id: "T778" }, secrets: { bot_token: "xoxb-kept", signing_secret: "sign-kept" } },
    });
    expect(put.status).toBe(200);
    const update = await callAs(NO_ENCRYPTION_KEYS, "PUT", "/api/v1/integrations/slack", {
      token: s.access_token,
      body: { config: { team_id: "T779" }, secrets: { signing_secret: "sign-new" } },
    });
    expect(update.status).toBe(503);
    const after = await call("GET", "/api/v1/integrations/slack", { token: s.access_token });
    expect(after.body).toMatchObject({ config: { team_id: "T778" }, secrets_set: ["bot_token", "signing_secret"] });
  });
});

describe("/readyz", () => {
  it("names the missing secrets, and only their names", async () => {
    const res = await callAs({ ...NO_JWT_SECRET, ...NO_ENCRYPTION_KEYS }, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body!.ok).toBe(false);
    expect(res.body!.missing).toEqual(["JWT_SECRET", "ENCRYPTION_KEYS"]);
    expect(res.body!.checks).toEqual(
      expect.arrayContaining([
        { name: "d1", ok: true },
        { name: "JWT_SECRET", ok: false },
        { name: "ENCRYPTION_KEYS", ok: false },
      ]),
    );

    const one = await callAs({ JWT_SECRET: "short" }, "GET", "/readyz");
    expect(one.status).toBe(503);
    expect(one.body!.missing).toEqual(["JWT_SECRET"]);

    const ready = await call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(JSON.stringify(ready.body)).not.toContain(env.JWT_SECRET!);
    expect(JSON.stringify(ready.body)).not.toContain(env.ENCRYPTION_KEYS!.slice(3));
  });

  it("says which dependency failed but never repeats its error to an anonymous caller", async () => {
    const d1Error = "D1_ERROR: no such table: internal_billing_ledger (db-7f3a.internal.example)";
    const r2Error = "R2 bucket edgedesk-files-prod: access denied for account 0123456789abcdef";
    const brokenDb = { prepare: () => ({ first: () => Promise.reject(new Error(d1Error)) }) };
    const brokenFiles = { head: () => Promise.reject(new Error(r2Error)) };
    const res = await callAs({ DB: brokenDb, FILES: brokenFiles }, "GET", "/readyz");
    expect(res.status).toBe(503);
    expect(res.body!.checks).toEqual(
      expect.arrayContaining([
        { name: "d1", ok: false },
        { name: "r2", ok: false },
        { name: "vector_store", ok: true },
      ]),
    );
    for (const check of res.body!.checks) expect(Object.keys(check).sort()).toEqual(["name", "ok"]);
    for (const leaked of ["D1_ERROR", "internal_billing_ledger", "db-7f3a", "edgedesk-files-prod", "0123456789abcdef", "access denied"]) {
      expect(res.text).not.toContain(leaked);
    }
  });
});
