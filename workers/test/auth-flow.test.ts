import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { signAccessToken } from "../src/auth/tokens";
import { runHousekeeping } from "../src/compliance/housekeeping";
import { call, createAssistant, createSecretKey, PASSWORD, signUp, uniqueEmail } from "./helpers";

describe("sign-up, sign-in and sessions", () => {
  it("signs up a workspace with its first admin and hides the password hash", async () => {
    const email = uniqueEmail("signup");
    const res = await call("POST", "/api/v1/workspaces", {
      body: { workspace_name: "Acme", email, password: PASSWORD },
    });
    expect(res.status).toBe(201);
    expect(res.body.workspace.id).toMatch(/^ws_/);
    expect(res.body.user).toMatchObject({ email, role: "admin" });
    expect(res.body.access_token).toEqual(expect.any(String));
    expect(res.body.refresh_token).toMatch(/^rtf_/);
    expect(JSON.stringify(res.body)).not.toContain("pbkdf2");
    const row = await env.DB.prepare("select password_hash from users where email = ?").bind(email).first<{
      password_hash: string;
    }>();
    expect(row?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  it("makes no second account for the same email (any case), and its answer's tokens open nothing", async () => {
    const s = await signUp();
    const res = await call("POST", "/api/v1/workspaces", {
      body: { workspace_name: "Other", email: s.email.toUpperCase(), password: PASSWORD },
    });
    expect(res.status).toBe(201);
    const users = await env.DB.prepare("select count(*) as n from users where email = ?").bind(s.email).first<{ n: number }>();
    expect(users?.n).toBe(1);
    expect((await call("GET", "/api/v1/auth/me", { token: res.body.access_token })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: res.body.refresh_token } })).status).toBe(401);
  });

  it("logs in, refreshes with rotation, and revokes the family when a refresh token is reused", async () => {
    const s = await signUp();
    const login = await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } });
    expect(login.status).toBe(200);

    const first = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
    expect(first.status).toBe(200);
    expect(first.body.refresh_token).not.toBe(login.body.refresh_token);
    const me = await call("GET", "/api/v1/auth/me", { token: first.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(s.email);

    // The spent token comes back: someone copied it. Both it and its successor die.
    const reuse = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: login.body.refresh_token } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe("unauthorized");
    const successor = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(successor.status).toBe(401);
    // So do the access tokens of that sign-in, without waiting for their 24 hours.
    expect((await call("GET", "/api/v1/auth/me", { token: first.body.access_token })).status).toBe(401);
    expect((await call("GET", "/api/v1/auth/me", { token: login.body.access_token })).status).toBe(401);

    // The sign-up session is another family and still works.
    expect((await call("GET", "/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
    const other = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } });
    expect(other.status).toBe(200);
  });

  it("rejects a wrong password and an unknown email with the same answer", async () => {
    const s = await signUp();
    const wrong = await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: "not the password" } });
    const unknown = await call("POST", "/api/v1/auth/login", {
      body: { email: uniqueEmail("nobody"), password: PASSWORD },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error.message).toBe(unknown.body.error.message);
  });

  it("logs out the whole family, its access tokens at once, and no other sign-in", async () => {
    const s = await signUp();
    const elsewhere = await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } });
    const refreshed = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } });
    expect(refreshed.status).toBe(200);
    const out = await call("POST", "/api/v1/auth/logout", { body: { refresh_token: refreshed.body.refresh_token } });
    expect(out.status).toBe(204);
    const res = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: refreshed.body.refresh_token } });
    expect(res.status).toBe(401);
    // Every access token of that sign-in, the one issued at sign-up and the refreshed one.
    for (const token of [s.access_token, refreshed.body.access_token]) {
      const me = await call("GET", "/api/v1/assistants", { token });
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe("unauthorized");
    }
    expect((await call("GET", "/api/v1/assistants", { token: elsewhere.body.access_token })).status).toBe(200);
  });

  it("changes the password: the old one stops working, other sign-ins end at once, this one stays", async () => {
    const s = await signUp();
    const elsewhere = await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } });
    expect((await call("GET", "/api/v1/auth/me", { token: elsewhere.body.access_token })).status).toBe(200);
    const res = await call("POST", "/api/v1/auth/password", {
      token: s.access_token,
      body: { current_password: PASSWORD, new_password: "a brand new passphrase" },
    });
    expect(res.status).toBe(204);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: PASSWORD } })).status).toBe(401);
    const ok = await call("POST", "/api/v1/auth/login", { body: { email: s.email, password: "a brand new passphrase" } });
    expect(ok.status).toBe(200);
    // The other sign-in: its access token and its refresh token no longer work.
    expect((await call("GET", "/api/v1/auth/me", { token: elsewhere.body.access_token })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: elsewhere.body.refresh_token } })).status).toBe(401);
    // The sign-in that changed it goes on.
    expect((await call("GET", "/api/v1/auth/me", { token: s.access_token })).status).toBe(200);
    expect((await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } })).status).toBe(200);
  });

  it("still accepts an access token issued before sign-ins were named, for its own 24 hours", async () => {
    const s = await signUp();
    const legacy = await signAccessToken(env, { userId: s.user.id, workspaceId: s.workspace.id, role: "admin", sessionId: null });
    expect(JSON.parse(atob(legacy.token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/")))).not.toHaveProperty("sid");
    expect((await call("GET", "/api/v1/auth/me", { token: legacy.token })).status).toBe(200);
    // A sign-in that does not exist is no sign-in.
    const unknown = await signAccessToken(env, { userId: s.user.id, workspaceId: s.workspace.id, role: "admin", sessionId: "refresh_unknown" });
    expect((await call("GET", "/api/v1/auth/me", { token: unknown.token })).status).toBe(401);
  });

  it("deletes refresh tokens past their expiry (housekeeping), and no live sign-in with them", async () => {
    const s = await signUp();
    const refreshed = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: s.refresh_token } });
    expect(refreshed.status).toBe(200);
    const rows = async () =>
      (await env.DB.prepare("select expires_at from refresh_tokens where user_id = ? order by expires_at").bind(s.user.id).all<{ expires_at: string }>()).results;
    const [spent, live] = await rows();
    expect(spent!.expires_at < live!.expires_at).toBe(true);

    // Just past the spent token's expiry: it goes, the sign-in's newest stays and so do its tokens.
    const first = await runHousekeeping(env, new Date(Date.parse(spent!.expires_at) + 1));
    expect(first.failures).toEqual([]);
    expect(first.expired_refresh_tokens).toBeGreaterThanOrEqual(1);
    expect((await rows()).map((r) => r.expires_at)).toEqual([live!.expires_at]);
    expect((await call("GET", "/api/v1/auth/me", { token: refreshed.body.access_token })).status).toBe(200);

    await runHousekeeping(env, new Date(Date.parse(live!.expires_at) + 1));
    expect(await rows()).toEqual([]);
  });

  it("rejects forged and tampered access tokens", async () => {
    const s = await signUp();
    const [h, p] = s.access_token.split(".");
    const forged = `${h}.${p}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
    expect((await call("GET", "/api/v1/assistants", { token: forged })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants", { token: "garbage" })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants")).status).toBe(401);
  });
});

describe("API keys", () => {
  it("creates a secret key shown once, stored only as a SHA-256 hash, expiring in 90 days", async () => {
    const s = await signUp();
    const key = await createSecretKey(s.access_token, "viewer");
    expect(key.key).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(key).toMatchObject({ type: "secret", scope: "viewer", prefix: (key.key as string).slice(0, 12) });
    const days = (Date.parse(key.expires_at as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThan(90.1);

    const row = await env.DB.prepare("select key_hash from api_keys where id = ?").bind(key.id).first<{
      key_hash: string;
    }>();
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key.key));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(row?.key_hash).toBe(hex);

    const list = await call("GET", "/api/v1/api-keys", { token: s.access_token });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0].key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(key.key);
  });

  it("enforces each scope: viewer reads, manager cannot administer, admin can", async () => {
    const s = await signUp();
    const viewer = await createSecretKey(s.access_token, "viewer");
    const manager = await createSecretKey(s.access_token, "manager");
    const admin = await createSecretKey(s.access_token, "admin");

    for (const k of [viewer, manager, admin]) {
      expect((await call("GET", "/api/v1/assistants", { token: k.key })).status).toBe(200);
    }
    const create = (token: string) => call("POST", "/api/v1/assistants", { token, body: { name: "Bot" } });
    expect((await create(viewer.key)).status).toBe(403);
    const forbidden = await create(manager.key);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: "forbidden", details: { required_role: "admin" } });
    expect((await create(admin.key)).status).toBe(201);

    expect((await call("GET", "/api/v1/api-keys", { token: viewer.key })).status).toBe(403);
    expect((await call("GET", "/api/v1/api-keys", { token: manager.key })).status).toBe(403);
    expect((await call("GET", "/api/v1/api-keys", { token: admin.key })).status).toBe(200);
    expect((await call("GET", "/api/v1/audit-logs", { token: manager.key })).status).toBe(403);
  });

  it("rotates: the old key is rejected at once, the new one works", async () => {
    const s = await signUp();
    const key = await createSecretKey(s.access_token, "viewer");
    const rotated = await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: s.access_token });
    expect(rotated.status).toBe(200);
    expect(rotated.body.id).toBe(key.id);
    expect(rotated.body.key).toMatch(/^sk_live_/);
    expect(rotated.body.key).not.toBe(key.key);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(401);
    expect((await call("GET", "/api/v1/assistants", { token: rotated.body.key })).status).toBe(200);
  });

  it("rotates with an overlap window in which both keys work", async () => {
    const s = await signUp();
    const key = await createSecretKey(s.access_token, "viewer");
    const rotated = await call("POST", `/api/v1/api-keys/${key.id}/rotate`, {
      token: s.access_token,
      body: { overlap_seconds: 3600 },
    });
    expect(rotated.status).toBe(200);
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(200);
    expect((await call("GET", "/api/v1/assistants", { token: rotated.body.key })).status).toBe(200);
  });

  it("revokes: the key stops working on the next request and cannot be rotated", async () => {
    const s = await signUp();
    const key = await createSecretKey(s.access_token, "admin");
    expect((await call("GET", "/api/v1/api-keys", { token: key.key })).status).toBe(200);
    const revoked = await call("DELETE", `/api/v1/api-keys/${key.id}`, { token: s.access_token });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect((await call("GET", "/api/v1/api-keys", { token: key.key })).status).toBe(401);
    expect((await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: s.access_token })).status).toBe(404);
  });

  it("refuses an expired key", async () => {
    const s = await signUp();
    const key = await createSecretKey(s.access_token, "viewer");
    await env.DB.prepare("update api_keys set expires_at = ? where id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), key.id)
      .run();
    expect((await call("GET", "/api/v1/assistants", { token: key.key })).status).toBe(401);
  });

  it("creates a publishable key bound to one assistant, usable only from allowed origins", async () => {
    const s = await signUp();
    const assistant = await createAssistant(s.access_token, { allowed_origins: ["https://shop.example.com"] });
    const res = await call("POST", "/api/v1/api-keys", {
      token: s.access_token,
      body: { name: "widget", type: "publishable", assistant_id: assistant.id },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ type: "publishable", assistant_id: assistant.id, expires_at: null });
    expect(res.body.key).toMatch(/^pk_live_/);
    // A publishable key never reaches staff routes, from any origin.
    const fromAllowed = await call("GET", "/api/v1/assistants", {
      token: res.body.key,
      headers: { origin: "https://shop.example.com" },
    });
    expect(fromAllowed.status).toBe(403);
    const fromElsewhere = await call("GET", "/api/v1/assistants", {
      token: res.body.key,
      headers: { origin: "https://evil.example.com" },
    });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.body.error.message).toMatch(/origin/);
  });
});

describe("assistants", () => {
  it("creates, reads, lists with cursors, updates and deletes", async () => {
    const s = await signUp();
    const created = [];
    for (let i = 0; i < 3; i++) created.push(await createAssistant(s.access_token, { name: `Bot ${i}` }));
    const a = created[0]!;
    expect(a).toMatchObject({ name: "Bot 0", tone: "friendly", escalation_threshold: 0.35, allowed_origins: [] });

    const page1 = await call("GET", "/api/v1/assistants?limit=2", { token: s.access_token });
    expect(page1.body.data).toHaveLength(2);
    expect(page1.body.next_cursor).toEqual(expect.any(String));
    const page2 = await call("GET", `/api/v1/assistants?limit=2&cursor=${page1.body.next_cursor}`, {
      token: s.access_token,
    });
    expect(page2.body.data).toHaveLength(1);
    expect(page2.body.next_cursor).toBeNull();
    const ids = [...page1.body.data, ...page2.body.data].map((x: { id: string }) => x.id).sort();
    expect(ids).toEqual(created.map((x) => x.id).sort());

    const patched = await call("PATCH", `/api/v1/assistants/${a.id}`, {
      token: s.access_token,
      body: { tone: "professional", escalation_threshold: 0.6, allowed_origins: ["https://a.example"] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ tone: "professional", escalation_threshold: 0.6, name: "Bot 0" });

    expect((await call("DELETE", `/api/v1/assistants/${a.id}`, { token: s.access_token })).status).toBe(204);
    expect((await call("GET", `/api/v1/assistants/${a.id}`, { token: s.access_token })).status).toBe(404);
  });

  it("writes an audit entry for every admin action", async () => {
    const s = await signUp();
    const a = await createAssistant(s.access_token);
    await call("PATCH", `/api/v1/assistants/${a.id}`, { token: s.access_token, body: { name: "Renamed" } });
    const key = await createSecretKey(s.access_token, "viewer");
    await call("POST", `/api/v1/api-keys/${key.id}/rotate`, { token: s.access_token });
    await call("DELETE", `/api/v1/api-keys/${key.id}`, { token: s.access_token });
    await call("DELETE", `/api/v1/assistants/${a.id}`, { token: s.access_token });

    const log = await call("GET", "/api/v1/audit-logs?limit=100", { token: s.access_token });
    expect(log.status).toBe(200);
    const actions = log.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "workspace.created",
        "assistant.created",
        "assistant.updated",
        "api_key.created",
        "api_key.rotated",
        "api_key.revoked",
        "assistant.deleted",
      ]),
    );
    expect(log.body.data[0]).toMatchObject({ actor_type: "user", actor_id: s.user.id, request_id: expect.stringMatching(/^req_/) });
    expect(JSON.stringify(log.body)).not.toMatch(/sk_live_/);
  });
});
