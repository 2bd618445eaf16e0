import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import {
  AUTH_FIRST_WAIT_MS,
  AUTH_LONGEST_WAIT_MS,
  DEFAULT_AUTH_ATTEMPTS_PER_MINUTE,
  DEFAULT_EMAIL_FAILURES_BEFORE_BACKOFF,
} from "../src/limits/auth-limits";
import { call, PASSWORD, signUp, uniqueEmail } from "./helpers";

// The limits as deployed (wrangler.toml leaves them at these defaults). The test run relaxes the
// per-address limit for every other suite, so these calls set the real values back explicitly.
const ATTEMPTS_PER_MINUTE = DEFAULT_AUTH_ATTEMPTS_PER_MINUTE;
const EMAIL_FAILURES = DEFAULT_EMAIL_FAILURES_BEFORE_BACKOFF;
const REAL_LIMITS = { AUTH_RATE_LIMIT_PER_MINUTE: String(ATTEMPTS_PER_MINUTE), AUTH_FAILURES_BEFORE_BACKOFF: String(EMAIL_FAILURES) };

/** The fields these tests read from session and error answers. */
interface AnswerBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
  workspace: Record<string, unknown>;
  user: Record<string, unknown>;
  access_token: string;
  refresh_token: string;
  [field: string]: unknown;
}

let addresses = 0;
/** A client address no other test uses. */
function freshAddress(): string {
  addresses += 1;
  return `203.0.113.${addresses}`;
}

/** A public credential call from `address`, to the Worker running with the deployed limits. */
async function attempt(address: string, path: string, body: unknown) {
  const request = new Request(`http://api.test/api/v1${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "CF-Connecting-IP": address },
    body: JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...REAL_LIMITS } as Env, ctx);
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as AnswerBody };
}

const login = (address: string, email: string, password: string) => attempt(address, "/auth/login", { email, password });

function retryAfter(res: { headers: Headers }): number {
  return Number(res.headers.get("retry-after"));
}

/** Sessions a user holds: refresh tokens issued to them. */
async function sessionsOf(userId: string): Promise<number> {
  return (await env.DB.prepare("select count(*) as n from refresh_tokens where user_id = ?").bind(userId).first<{ n: number }>())!.n;
}

/** Expects the rate-limited answer: 429, the error shape, Retry-After and the X-RateLimit-* headers. */
function expectRefused(res: { status: number; headers: Headers; body: AnswerBody }) {
  expect(res.status).toBe(429);
  expect(res.body.error).toMatchObject({ code: "rate_limited", details: { retry_after_seconds: retryAfter(res) } });
  expect(retryAfter(res)).toBeGreaterThanOrEqual(1);
  expect(res.headers.get("x-ratelimit-limit")).toMatch(/^\d+$/);
  expect(res.headers.get("x-ratelimit-remaining")).toBe("0");
  expect(Number(res.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
}

describe("sign-in limits", () => {
  it("throttles password guessing on one email with a growing wait, from the same address and from any other", async () => {
    const s = await signUp("Guessed");
    const before = await sessionsOf(s.user.id);
    const address = freshAddress();
    for (let i = 0; i < EMAIL_FAILURES; i++) {
      const wrong = await login(address, s.email, `wrong guess ${i}`);
      expect(wrong.status).toBe(401);
      expect(wrong.headers.get("x-ratelimit-limit")).toBe(String(ATTEMPTS_PER_MINUTE));
    }

    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const refused = await login(address, s.email, `another guess ${i}`);
      expectRefused(refused);
      expect(refused.body.error.details).toMatchObject({ window: "auth_failures", limit: EMAIL_FAILURES });
      waits.push(retryAfter(refused));
    }
    // Each attempt while waiting doubles the wait: 60 s, 120 s, 240 s after the first 30 s.
    expect(waits).toEqual([2, 4, 8].map((f) => (f * AUTH_FIRST_WAIT_MS) / 1000));

    // Even the right password is refused while the email waits, from this address or a fresh one,
    // and no session is made.
    expectRefused(await login(address, s.email, PASSWORD));
    const elsewhere = await login(freshAddress(), s.email, PASSWORD);
    expectRefused(elsewhere);
    expect(retryAfter(elsewhere)).toBeGreaterThan(waits[2]!);
    expect(retryAfter(elsewhere)).toBeLessThanOrEqual(AUTH_LONGEST_WAIT_MS / 1000);
    expect(await sessionsOf(s.user.id)).toBe(before);
  });

  it("counts an unknown email exactly like a registered one", async () => {
    const s = await signUp("Known");
    const unknown = uniqueEmail("nobody");
    const [a, b] = [freshAddress(), freshAddress()];
    for (let i = 0; i < EMAIL_FAILURES; i++) {
      const known = await login(a, s.email, `wrong ${i}`);
      const stranger = await login(b, unknown, `wrong ${i}`);
      expect([known.status, stranger.status]).toEqual([401, 401]);
      expect(known.body).toEqual(stranger.body);
    }
    const known = await login(a, s.email, "wrong again");
    const stranger = await login(b, unknown, "wrong again");
    expectRefused(known);
    expectRefused(stranger);
    expect(known.body).toEqual(stranger.body);
  });

  it("forgets an email's failures after a successful sign-in", async () => {
    const s = await signUp("Typo");
    const address = freshAddress();
    for (let i = 0; i < EMAIL_FAILURES - 1; i++) expect((await login(address, s.email, `typo ${i}`)).status).toBe(401);
    expect((await login(address, s.email, PASSWORD)).status).toBe(200);
    for (let i = 0; i < EMAIL_FAILURES; i++) expect((await login(address, s.email, `typo again ${i}`)).status).toBe(401);
    expectRefused(await login(address, s.email, "one too many"));
  });
});

describe("per-address limits on refresh and invitations", () => {
  it("holds one address to its attempts per minute on refresh, refusing before a token is spent", async () => {
    const s = await signUp("Refresh");
    const address = freshAddress();
    for (let i = 0; i < ATTEMPTS_PER_MINUTE; i++) {
      const res = await attempt(address, "/auth/refresh", { refresh_token: `rtf_${"x".repeat(39)}${i % 10}` });
      expect(res.status).toBe(401);
      expect(res.headers.get("x-ratelimit-remaining")).toBe(String(ATTEMPTS_PER_MINUTE - 1 - i));
    }
    const refused = await attempt(address, "/auth/refresh", { refresh_token: s.refresh_token });
    expectRefused(refused);
    expect(refused.body.error.details).toMatchObject({ window: "auth_attempts", limit: ATTEMPTS_PER_MINUTE });
    expect(retryAfter(refused)).toBeLessThanOrEqual(71); // a minute plus one 10 s bucket

    // The refused refresh did not spend the token: from another address it still works, once.
    const ok = await attempt(freshAddress(), "/auth/refresh", { refresh_token: s.refresh_token });
    expect(ok.status).toBe(200);
  });

  it("throttles guessing invitation links, leaving a real invitation unused", async () => {
    const s = await signUp("Invites");
    const email = uniqueEmail("invitee");
    const invite = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email, role: "viewer" } });
    expect(invite.status).toBe(201);
    const address = freshAddress();
    for (let i = 0; i < ATTEMPTS_PER_MINUTE; i++) {
      const guess = await attempt(address, "/invites/accept", { token: `ivt_${String(i).padStart(40, "0")}`, password: PASSWORD });
      expect(guess.status).toBe(404);
    }
    const refused = await attempt(address, "/invites/accept", { token: invite.body.token, password: PASSWORD });
    expectRefused(refused);
    expect(await env.DB.prepare("select count(*) as n from users where email = ?").bind(email).first<{ n: number }>()).toEqual({ n: 0 });
    const pending = await call("GET", "/api/v1/team/invites", { token: s.access_token });
    expect(pending.body.data[0]).toMatchObject({ id: invite.body.id, status: "pending" });

    expect((await attempt(freshAddress(), "/invites/accept", { token: invite.body.token, password: PASSWORD })).status).toBe(201);
  });
});

describe("sign-up does not tell which emails are registered", () => {
  /** The shape of an answer: every key, nested, with the kind of value under it. */
  function shapeOf(value: unknown): unknown {
    if (value === null || typeof value !== "object") return value === null ? "null" : typeof value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shapeOf(v)]));
  }

  /** The claims an access token carries, without checking its signature. */
  function claimsOf(token: string): Record<string, unknown> {
    const payload = token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload + "===".slice((payload.length + 3) % 4))) as Record<string, unknown>;
  }

  it("answers a registered email exactly like a free one, and creates nothing", async () => {
    const existing = await signUp("Registered");
    const address = freshAddress();
    const workspacesBefore = (await env.DB.prepare("select count(*) as n from workspaces").first<{ n: number }>())!.n;

    const taken = await attempt(address, "/workspaces", { workspace_name: "Probe", email: existing.email, password: "a different passphrase" });
    const workspacesAfterTaken = (await env.DB.prepare("select count(*) as n from workspaces").first<{ n: number }>())!.n;
    const free = await attempt(address, "/workspaces", { workspace_name: "Probe", email: uniqueEmail("free"), password: "a different passphrase" });

    expect(taken.status).toBe(201);
    expect(free.status).toBe(201);
    expect(shapeOf(taken.body)).toEqual(shapeOf(free.body));
    expect(Object.keys(claimsOf(taken.body.access_token)).sort()).toEqual(Object.keys(claimsOf(free.body.access_token)).sort());
    expect(taken.body.refresh_token).toMatch(/^rtf_[0-9A-Za-z]{40}$/);
    expect(taken.body.workspace).toMatchObject({ id: expect.stringMatching(/^ws_/), name: "Probe", plan: "starter" });
    expect(taken.body.user).toMatchObject({ id: expect.stringMatching(/^usr_/), email: existing.email, role: "admin" });

    // Nothing was created or changed for the taken email.
    expect(workspacesAfterTaken).toBe(workspacesBefore);
    const rows = await env.DB.prepare("select id, workspace_id from users where email = ?").bind(existing.email).all<{ id: string; workspace_id: string }>();
    expect(rows.results).toEqual([{ id: existing.user.id, workspace_id: existing.workspace.id }]);
    expect(await env.DB.prepare("select id from workspaces where id = ?").bind(taken.body.workspace.id).first()).toBeNull();
    // The account's own admins are told, in their audit log; the caller was not.
    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token: existing.access_token });
    expect(audit.body.data).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "user.signup_attempted", actor_type: "system", target_id: existing.user.id, ip: address }),
      ]),
    );
    expect((await call("POST", "/api/v1/auth/login", { body: { email: existing.email, password: PASSWORD } })).status).toBe(200);
    expect((await call("POST", "/api/v1/auth/login", { body: { email: existing.email, password: "a different passphrase" } })).status).toBe(401);
  });

  it("limits sign-ups per address", async () => {
    const address = freshAddress();
    for (let i = 0; i < ATTEMPTS_PER_MINUTE; i++) {
      const res = await attempt(address, "/workspaces", { workspace_name: `Spam ${i}`, email: uniqueEmail("spam"), password: PASSWORD });
      expect(res.status).toBe(201);
    }
    const email = uniqueEmail("spam");
    expectRefused(await attempt(address, "/workspaces", { workspace_name: "Spam", email, password: PASSWORD }));
    expect(await env.DB.prepare("select count(*) as n from users where email = ?").bind(email).first<{ n: number }>()).toEqual({ n: 0 });
  });
});
