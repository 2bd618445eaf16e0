import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { runHousekeeping } from "../src/compliance/housekeeping";
import { call, PASSWORD, signUp, uniqueEmail } from "./helpers";

// The provider and its client are started by global-setup.ts (fake-oidc-server.ts); these
// values are that test client's registration there.
const CLIENT_ID = "edgedesk-sso-test";
const CLIENT_SECRET = "sso-test-client-secret-0123456789";
const WORKER = "http://api.test";

/** A domain no other test uses, so start-by-domain finds one workspace. */
function uniqueDomain(): string {
  return `${uniqueEmail("d").split("@")[0]!.replace(/[^a-z0-9]/gi, "").toLowerCase()}.example`;
}

/** Saves the workspace's SSO settings against the local provider. */
async function configure(token: string, overrides: Record<string, unknown> = {}) {
  return call("PUT", "/api/v1/workspace/sso", {
    token,
    body: { issuer: env.OIDC_FAKE_URL, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, allowed_domains: ["example.test"], ...overrides },
  });
}

/** `GET /auth/sso/start` through the Worker: the provider URL it redirects to and the browser-binding cookie. */
async function start(query: Record<string, string>) {
  const res = await exports.default.fetch(new Request(`${WORKER}/api/v1/auth/sso/start?${new URLSearchParams(query)}`, { redirect: "manual" }));
  const body = res.status === 302 ? null : await res.json<{ error: { code: string; details?: Record<string, unknown> } }>();
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith("edgedesk_sso="))?.split(";")[0] ?? null;
  return { status: res.status, location: res.headers.get("location"), cookie, body };
}

/**
 * Signs `login` in at the provider the way a browser would: its login form, then consent, then
 * back to the Worker's callback URL, which is returned (not followed). Cookies are kept as a browser keeps them.
 */
async function signInAtProvider(authorizationUrl: string, login: string): Promise<URL> {
  const jar = new Map<string, string>();
  const send = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const eq = pair!.indexOf("=");
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  };
  let next = authorizationUrl;
  for (let step = 0; step < 10; step++) {
    if (next.startsWith(WORKER)) return new URL(next);
    const res = await send(next);
    const location = res.headers.get("location");
    if (location) {
      next = new URL(location, next).toString();
      continue;
    }
    const page = await res.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    if (res.status !== 200 || !prompt) throw new Error(`the provider answered ${res.status}: ${page.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt, ...(prompt === "login" ? { login, password: "any" } : {}) });
    const submitted = await send(next, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const after = submitted.headers.get("location");
    if (!after) throw new Error(`the provider did not move on from ${prompt}: ${submitted.status}`);
    next = new URL(after, next).toString();
  }
  throw new Error("the provider never sent the browser back");
}

/** The provider's redirect arriving at the Worker, with or without the browser's cookie. */
async function callback(url: URL | string, cookie: string | null) {
  const res = await exports.default.fetch(new Request(url.toString(), { headers: cookie ? { cookie } : {}, redirect: "manual" }));
  const body = res.status === 302 ? null : await res.json<{ error: { code: string; message: string; details?: Record<string, unknown> } }>();
  return { status: res.status, location: res.headers.get("location"), body };
}

/** The whole sign-in up to the session: start, provider, callback, exchange. */
async function ssoSignIn(query: Record<string, string>, login: string) {
  const started = await start(query);
  expect(started.status, JSON.stringify(started.body)).toBe(302);
  const back = await signInAtProvider(started.location!, login);
  const done = await callback(back, started.cookie);
  expect(done.status, JSON.stringify(done.body)).toBe(302);
  const code = new URL(done.location!).searchParams.get("code")!;
  return call("POST", "/api/v1/auth/sso/exchange", { body: { code } });
}

async function auditActions(token: string): Promise<{ action: string; actor_id: string | null; metadata: Record<string, unknown> }[]> {
  const log = await call("GET", "/api/v1/audit-logs?limit=100", { token });
  return log.body.data;
}

describe("single sign-on with OpenID Connect", () => {
  it("makes a verified email of an allowed domain a member with the default role, and signs existing members in", async () => {
    const admin = await signUp("SSO Co");
    const domain = uniqueDomain();
    const saved = await configure(admin.access_token, { allowed_domains: [domain, "example.test"], default_role: "manager" });
    expect(saved.status, JSON.stringify(saved.body)).toBe(200);
    expect(saved.body).toMatchObject({ configured: true, client_secret_set: true, default_role: "manager", redirect_uri: `${WORKER}/api/v1/auth/sso/callback` });
    expect(JSON.stringify(saved.body)).not.toContain(CLIENT_SECRET);
    const stored = await env.DB.prepare("select client_secret_ciphertext from sso_configs where workspace_id = ?").bind(admin.workspace.id).first<{ client_secret_ciphertext: string }>();
    expect(stored!.client_secret_ciphertext).not.toContain(CLIENT_SECRET);

    // A new person, found by their email's domain: joins with the default role.
    const email = `new.person@${domain}`;
    const first = await ssoSignIn({ email, next: "/conversations" }, email);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ workspace: { id: admin.workspace.id }, user: { email, role: "manager", name: "Person new.person" } });
    const me = await call("GET", "/api/v1/auth/me", { token: first.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ id: first.body.user.id, role: "manager" });
    const refreshed = await call("POST", "/api/v1/auth/refresh", { body: { refresh_token: first.body.refresh_token } });
    expect(refreshed.status).toBe(200);

    // The same person again: the same member, not a second one.
    const again = await ssoSignIn({ domain }, email);
    expect(again.body.user.id).toBe(first.body.user.id);

    // The admin who signed up with a password signs in through SSO as themselves, still admin.
    const asAdmin = await ssoSignIn({ workspace: admin.workspace.id }, admin.email);
    expect(asAdmin.body.user).toMatchObject({ id: admin.user.id, role: "admin" });

    const audit = await auditActions(admin.access_token);
    expect(audit.filter((e) => e.action === "user.sso_joined").map((e) => e.actor_id)).toEqual([first.body.user.id]);
    expect(audit.filter((e) => e.action === "user.sso_signed_in").map((e) => e.actor_id).sort()).toEqual([first.body.user.id, admin.user.id].sort());
    const updated = audit.find((e) => e.action === "workspace.sso_updated");
    expect(updated).toMatchObject({ actor_id: admin.user.id, metadata: { client_secret_changed: true, default_role: "manager" } });
    expect(JSON.stringify(audit)).not.toContain(CLIENT_SECRET);
  });

  it("sends the browser to the dashboard with a one-time code that opens one session", async () => {
    const admin = await signUp("SSO Code");
    await configure(admin.access_token);
    const started = await start({ workspace: admin.workspace.id, next: "/team" });
    const back = await signInAtProvider(started.location!, admin.email);
    const done = await callback(back, started.cookie);
    const target = new URL(done.location!);
    expect(`${target.origin}${target.pathname}`).toBe(`${env.DASHBOARD_URL}/sso/complete`);
    expect(target.searchParams.get("next")).toBe("/team");
    const code = target.searchParams.get("code")!;
    expect((await call("POST", "/api/v1/auth/sso/exchange", { body: { code } })).status).toBe(200);
    const replay = await call("POST", "/api/v1/auth/sso/exchange", { body: { code } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.details).toMatchObject({ reason: "invalid_code" });
  });

  it("forgets sign-ins once neither their state nor their one-time code can be used (housekeeping)", async () => {
    const admin = await signUp("SSO Expiry");
    await configure(admin.access_token);
    const logins = async () =>
      (await env.DB.prepare("select expires_at, exchange_expires_at from sso_logins where workspace_id = ?").bind(admin.workspace.id).all<{ expires_at: string; exchange_expires_at: string | null }>()).results;
    // One abandoned at the provider, one finished whose code was never traded.
    await start({ workspace: admin.workspace.id });
    const started = await start({ workspace: admin.workspace.id });
    const done = await callback(await signInAtProvider(started.location!, admin.email), started.cookie);
    expect(done.status, JSON.stringify(done.body)).toBe(302);
    const rows = await logins();
    expect(rows).toHaveLength(2);
    const latest = (key: "expires_at" | "exchange_expires_at") => Math.max(...rows.map((r) => (r[key] ? Date.parse(r[key]) : 0)));

    // Still usable: kept. Past the one-time code's expiry the states are still good: kept.
    await runHousekeeping(env, new Date(Date.now() + 1_000));
    expect(await logins()).toHaveLength(2);
    expect(latest("exchange_expires_at")).toBeLessThan(latest("expires_at"));
    await runHousekeeping(env, new Date(latest("exchange_expires_at") + 1_000));
    expect(await logins()).toHaveLength(2);
    const report = await runHousekeeping(env, new Date(latest("expires_at") + 1_000));
    expect(report.failures).toEqual([]);
    expect(report.expired_sso_logins).toBeGreaterThanOrEqual(1);
    expect(await logins()).toEqual([]);
  });

  it("sends PKCE, state and nonce to the provider", async () => {
    const admin = await signUp("SSO Params");
    await configure(admin.access_token);
    const started = await start({ workspace: admin.workspace.id });
    expect(started.status, JSON.stringify(started.body)).toBe(302);
    const url = new URL(started.location!);
    expect(url.origin).toBe(new URL(env.OIDC_FAKE_URL).origin);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: CLIENT_ID,
      response_type: "code",
      code_challenge_method: "S256",
      redirect_uri: `${WORKER}/api/v1/auth/sso/callback`,
      scope: expect.stringContaining("openid"),
    });
    for (const p of ["state", "nonce", "code_challenge"]) expect(url.searchParams.get(p)!.length).toBeGreaterThanOrEqual(32);
    expect(started.cookie).toMatch(/^edgedesk_sso=\w{40}$/);
  });

  it("refuses a made-up state, a replayed callback and a callback in a browser that did not start the sign-in", async () => {
    const admin = await signUp("SSO State");
    await configure(admin.access_token);
    const started = await start({ workspace: admin.workspace.id });
    const back = await signInAtProvider(started.location!, admin.email);

    const forged = new URL(back);
    forged.searchParams.set("state", "made-up-state-value");
    const wrongState = await callback(forged, started.cookie);
    expect(wrongState.status).toBe(400);
    expect(wrongState.body!.error.details).toMatchObject({ reason: "invalid_state" });

    const otherBrowser = await callback(back, "edgedesk_sso=someone-elses-cookie-value");
    expect(otherBrowser.status).toBe(400);
    expect(otherBrowser.body!.error.details).toMatchObject({ reason: "browser_mismatch" });

    expect((await callback(back, started.cookie)).status).toBe(302);
    const replayed = await callback(back, started.cookie);
    expect(replayed.status).toBe(400);
    expect(replayed.body!.error.details).toMatchObject({ reason: "invalid_state" });
  });

  it("refuses emails of domains the workspace does not allow, and unverified emails", async () => {
    const admin = await signUp("SSO Domain");
    const domain = uniqueDomain();
    await configure(admin.access_token, { allowed_domains: [domain] });
    for (const [login, reason] of [
      [`outsider@elsewhere-${domain}`, "domain_not_allowed"],
      [`unverified.someone@${domain}`, "email_not_verified"],
    ] as const) {
      const started = await start({ workspace: admin.workspace.id });
      const refused = await callback(await signInAtProvider(started.location!, login), started.cookie);
      expect(refused.status).toBe(403);
      expect(refused.body!.error.details).toMatchObject({ reason });
    }
    const members = await env.DB.prepare("select count(*) as n from users where workspace_id = ?").bind(admin.workspace.id).first<{ n: number }>();
    expect(members!.n).toBe(1);
  });

  it("never signs in an account of another workspace, even when that workspace's provider vouches for it", async () => {
    const victim = await signUp("SSO Victim");
    const attacker = await signUp("SSO Attacker");
    await configure(attacker.access_token, { allowed_domains: ["example.test"] });
    const started = await start({ workspace: attacker.workspace.id });
    const refused = await callback(await signInAtProvider(started.location!, victim.email), started.cookie);
    expect(refused.status).toBe(403);
    expect(refused.body!.error.details).toMatchObject({ reason: "other_workspace" });
  });

  it.each([
    ["wrong-aud", /aud/],
    ["wrong-nonce", /nonce/],
    ["bad-signature", /signature/i],
    ["expired", /exp/],
  ])("refuses an ID token with %s", async (mode, message) => {
    const admin = await signUp("SSO Rogue");
    const clientId = `rogue-${mode}-${crypto.randomUUID().slice(0, 8)}`;
    expect((await configure(admin.access_token, { issuer: `${env.OIDC_FAKE_URL}/rogue/${mode}`, client_id: clientId, allowed_domains: ["rogue.test"] })).status).toBe(200);
    const started = await start({ workspace: admin.workspace.id });
    const refused = await callback(await signInAtProvider(started.location!, "anyone"), started.cookie);
    expect(refused.status, JSON.stringify(refused.body)).toBe(401);
    expect(refused.body!.error.details).toMatchObject({ reason: "invalid_id_token" });
    expect(refused.body!.error.message).toMatch(message);
  });

  it("accepts the same hand-written provider when its ID token is right", async () => {
    const admin = await signUp("SSO Rogue OK");
    const clientId = `rogue-ok-${crypto.randomUUID().slice(0, 8)}`;
    await configure(admin.access_token, { issuer: `${env.OIDC_FAKE_URL}/rogue/ok`, client_id: clientId, allowed_domains: ["rogue.test"] });
    const started = await start({ workspace: admin.workspace.id });
    const done = await callback(await signInAtProvider(started.location!, "anyone"), started.cookie);
    expect(done.status, JSON.stringify(done.body)).toBe(302);
    const session = await call("POST", "/api/v1/auth/sso/exchange", { body: { code: new URL(done.location!).searchParams.get("code") } });
    expect(session.body.user).toMatchObject({ email: `${clientId}@rogue.test`, role: "viewer" });
  });

  it("requires SSO only on the enterprise plan, then refuses members' passwords but not the break-glass admin's", async () => {
    const admin = await signUp("SSO Required");
    const notEnterprise = await configure(admin.access_token, { required: true });
    expect(notEnterprise.status).toBe(402);

    const memberEmail = uniqueEmail("member");
    const invite = await call("POST", "/api/v1/team/invites", { token: admin.access_token, body: { email: memberEmail, role: "viewer" } });
    const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD } });
    expect(accepted.status).toBe(201);
    const refresh = (token: string) => call("POST", "/api/v1/auth/refresh", { body: { refresh_token: token } });

    await env.DB.prepare("update workspaces set plan = 'enterprise' where id = ?").bind(admin.workspace.id).run();
    const required = await configure(admin.access_token, { required: true });
    expect(required.status).toBe(200);
    expect(required.body).toMatchObject({ required: true, break_glass_user_id: admin.user.id });
    // The member's password session ends with the rule, its access token at once; the
    // break-glass admin's goes on.
    expect((await call("GET", "/api/v1/auth/me", { token: accepted.body.access_token })).status).toBe(401);
    expect((await refresh(accepted.body.refresh_token)).status).toBe(401);
    expect((await call("GET", "/api/v1/auth/me", { token: admin.access_token })).status).toBe(200);
    expect((await refresh(admin.refresh_token)).status).toBe(200);
    const switchedOn = (await auditActions(admin.access_token)).find((e) => e.action === "workspace.sso_updated" && e.metadata.required === true);
    expect(switchedOn?.metadata).toMatchObject({ sessions_ended: 1 });

    const refused = await call("POST", "/api/v1/auth/login", { body: { email: memberEmail, password: PASSWORD } });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: "forbidden", details: { reason: "sso_required" } });
    // A wrong password says only that, as for anyone.
    expect((await call("POST", "/api/v1/auth/login", { body: { email: memberEmail, password: "wrong password here" } })).status).toBe(401);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: admin.email, password: PASSWORD } })).status).toBe(200);

    // The member signs in through SSO instead; saving the settings again ends no session.
    const viaSso = await ssoSignIn({ workspace: admin.workspace.id }, memberEmail);
    expect(viaSso.body.user).toMatchObject({ email: memberEmail, role: "viewer" });
    expect((await configure(admin.access_token, { required: true })).status).toBe(200);
    expect((await refresh(viaSso.body.refresh_token)).status).toBe(200);

    // Switched off again: passwords work.
    expect((await configure(admin.access_token, { required: false })).body).toMatchObject({ required: false, break_glass_user_id: null });
    expect((await call("POST", "/api/v1/auth/login", { body: { email: memberEmail, password: PASSWORD } })).status).toBe(200);
  });

  it("is configured by admins only, with clear errors for settings that cannot work", async () => {
    const admin = await signUp("SSO Settings");
    const manager = uniqueEmail("mgr");
    const invite = await call("POST", "/api/v1/team/invites", { token: admin.access_token, body: { email: manager, role: "manager" } });
    const accepted = await call("POST", "/api/v1/invites/accept", { body: { token: invite.body.token, password: PASSWORD } });
    expect((await call("GET", "/api/v1/workspace/sso", { token: accepted.body.access_token })).status).toBe(403);
    expect((await configure(accepted.body.access_token)).status).toBe(403);

    const empty = await call("GET", "/api/v1/workspace/sso", { token: admin.access_token });
    expect(empty.body).toMatchObject({ configured: false, enabled: false, client_secret_set: false });

    for (const [overrides, path] of [
      [{ default_role: "admin" }, "default_role"],
      [{ allowed_domains: [] }, "allowed_domains"],
      [{ allowed_domains: ["not a domain"] }, "allowed_domains"],
      [{ issuer: "http://idp.example.com" }, "issuer"],
      [{ issuer: "https://10.0.0.5" }, "issuer"],
    ] as const) {
      const res = await configure(admin.access_token, overrides);
      expect(res.status, JSON.stringify(overrides)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(JSON.stringify(res.body.error.details.issues)).toContain(path);
    }

    // The secret is kept when not given, and cleared with null.
    await configure(admin.access_token);
    const kept = await call("PUT", "/api/v1/workspace/sso", {
      token: admin.access_token,
      body: { issuer: env.OIDC_FAKE_URL, client_id: CLIENT_ID, allowed_domains: ["example.test"] },
    });
    expect(kept.body.client_secret_set).toBe(true);
    expect((await configure(admin.access_token, { client_secret: null })).body.client_secret_set).toBe(false);
  });

  it("answers start requests that match no workspace with a clear error", async () => {
    const unknown = await start({ domain: uniqueDomain() });
    expect(unknown.status).toBe(404);
    const both = await start({ domain: uniqueDomain(), workspace: "ws_abcdefghij" });
    expect(both.status).toBe(400);
    const admin = await signUp("SSO Off");
    await configure(admin.access_token, { enabled: false });
    expect((await start({ workspace: admin.workspace.id })).status).toBe(404);
  });
});
