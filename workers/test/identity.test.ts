/**
 * Verified visitors end to end: the assistant's identity secret, conversations started with an
 * HMAC of the user id or a JWT, what refuses a proof, rotation, tenants, and a verified user
 * reaching their conversation from a second device.
 */
import { env } from "cloudflare:test";
import { sign } from "hono/jwt";
import { afterEach, describe, expect, it, vi } from "vitest";
import { userHash } from "./action-helpers";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

const SHOP = "https://shop.example.com";

const nowS = () => Math.floor(Date.now() / 1000);

/** A workspace with an assistant, its widget key, and (unless `withSecret: false`) an identity secret. */
async function shop(opts: { withSecret?: boolean } = {}) {
  const session = await signUp("Verified");
  const assistant = await createAssistant(session.access_token, { allowed_origins: [SHOP] });
  const pk = await call("POST", "/api/v1/api-keys", { token: session.access_token, body: { name: "widget", type: "publishable", assistant_id: assistant.id } });
  let secret = "";
  if (opts.withSecret !== false) {
    const made = await call("POST", `/api/v1/assistants/${assistant.id}/identity-secret`, { token: session.access_token });
    expect(made.status).toBe(201);
    secret = made.body.secret as string;
  }
  return { session, admin: session.access_token, workspaceId: session.workspace.id, assistant, pk: pk.body.key as string, secret };
}

type Shop = Awaited<ReturnType<typeof shop>>;

function widgetStart(s: Shop, body: Record<string, unknown>, assistantId = s.assistant.id) {
  return call("POST", "/api/v1/conversations", { token: s.pk, headers: { origin: SHOP }, body: { assistant_id: assistantId, channel: "web", ...body } });
}

async function conversationCount(workspaceId: string): Promise<number> {
  const row = await env.DB.prepare("select count(*) as n from conversations where workspace_id = ?").bind(workspaceId).first<{ n: number }>();
  return row!.n;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the identity secret", () => {
  it("is made by admins only, shown once, sealed at rest, audited, and replaced at once by a rotation", async () => {
    const s = await shop({ withSecret: false });
    const manager = await createSecretKey(s.admin, "manager");
    const refused = await call("POST", `/api/v1/assistants/${s.assistant.id}/identity-secret`, { token: manager.key });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe("forbidden");

    const first = await call("POST", `/api/v1/assistants/${s.assistant.id}/identity-secret`, { token: s.admin });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ assistant_id: s.assistant.id, rotated: false, secret: expect.stringMatching(/^idsec_[0-9A-Za-z]{43}$/) });
    expect(first.headers.get("cache-control")).toBe("no-store");
    const row = await env.DB.prepare("select * from identity_secrets where assistant_id = ?").bind(s.assistant.id).first<Record<string, string>>();
    expect(row!.workspace_id).toBe(s.workspaceId);
    expect(JSON.stringify(row)).not.toContain(first.body.secret);

    const hash1 = await userHash(first.body.secret, "cust-7");
    expect((await widgetStart(s, { identity: { user_id: "cust-7", user_hash: hash1 } })).status).toBe(201);

    const second = await call("POST", `/api/v1/assistants/${s.assistant.id}/identity-secret`, { token: s.admin });
    expect(second.status).toBe(201);
    expect(second.body.rotated).toBe(true);
    expect(second.body.secret).not.toBe(first.body.secret);
    // No grace period: the old secret's proofs stop at once, the new one's work.
    const before = await conversationCount(s.workspaceId);
    const stale = await widgetStart(s, { identity: { user_id: "cust-7", user_hash: hash1 } });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe("unauthorized");
    const staleJwt = await sign({ sub: "cust-7", exp: nowS() + 300 }, first.body.secret, "HS256");
    expect((await widgetStart(s, { identity: { token: staleJwt } })).status).toBe(401);
    expect(await conversationCount(s.workspaceId)).toBe(before);
    const fresh = await widgetStart(s, { identity: { user_id: "cust-7", user_hash: await userHash(second.body.secret, "cust-7") } });
    expect(fresh.status).toBe(201);

    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token: s.admin });
    const actions = (audit.body.data as { action: string; target_id: string }[]).filter((e) => e.target_id === s.assistant.id).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["assistant.identity_secret_created", "assistant.identity_secret_rotated"]));
  });

  it("belongs to its workspace: another tenant can neither rotate it nor use it", async () => {
    const a = await shop();
    const b = await shop();
    const rotate = await call("POST", `/api/v1/assistants/${a.assistant.id}/identity-secret`, { token: b.admin });
    expect(rotate.status).toBe(404);
    expect(rotate.body.error.code).toBe("not_found");
    // B's widget key cannot start a conversation on A's assistant, even with A's valid proof.
    const proofA = { user_id: "shared-user", user_hash: await userHash(a.secret, "shared-user") };
    expect((await widgetStart(b, { identity: proofA }, a.assistant.id)).status).toBe(404);
    // A proof made with A's secret does not verify on B's assistant.
    const cross = await widgetStart(b, { identity: proofA });
    expect(cross.status).toBe(401);
    expect(await conversationCount(b.workspaceId)).toBe(0);
  });
});

describe("starting a verified conversation", () => {
  it("verifies a correct user_hash and shows verified and the user everywhere a conversation is shown", async () => {
    const s = await shop();
    const started = await widgetStart(s, { visitor_id: "v_anon1", identity: { user_id: "cust-42", user_hash: await userHash(s.secret, "cust-42") } });
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({ visitor_id: "user:cust-42", verified: true, resumed: false });
    const id = started.body.conversation_id as string;

    const own = await call("GET", `/api/v1/conversations/${id}`, { token: started.body.token });
    expect(own.body).toMatchObject({ visitor_id: "user:cust-42", verified: true, identity: { user_id: "cust-42" } });
    const staff = await call("GET", `/api/v1/conversations/${id}`, { token: s.admin });
    expect(staff.body.identity).toEqual({ user_id: "cust-42" });
    const list = await call("GET", "/api/v1/conversations", { token: s.admin });
    expect(list.body.data.find((c: { id: string }) => c.id === id)).toMatchObject({ verified: true, identity: { user_id: "cust-42" } });
    const exported = await call("GET", "/api/v1/visitors/user:cust-42/export", { token: s.admin });
    expect(exported.body.conversations).toHaveLength(1);
    expect(exported.body.conversations[0]).toMatchObject({ id, verified: true, identity: { user_id: "cust-42" } });
    // The D1 copy carries it through the outbox.
    const row = await env.DB.prepare("select verified, identity from conversations where id = ?").bind(id).first<{ verified: number; identity: string }>();
    expect(row).toEqual({ verified: 1, identity: JSON.stringify({ user_id: "cust-42" }) });

    // An anonymous conversation says so, with no identity at all.
    const anon = await widgetStart(s, { visitor_id: "v_anon2" });
    expect(anon.body).toMatchObject({ verified: false, visitor_id: "v_anon2" });
    const anonView = await call("GET", `/api/v1/conversations/${anon.body.conversation_id}`, { token: s.admin });
    expect(anonView.body.verified).toBe(false);
    expect(anonView.body).not.toHaveProperty("identity");
  });

  it("verifies a JWT and keeps its email and name claims; honours exp with a small clock skew", async () => {
    const s = await shop();
    const token = await sign({ sub: "cust-9", email: "ada@example.com", name: "Ada Lovelace", exp: nowS() + 600 }, s.secret, "HS256");
    const started = await widgetStart(s, { identity: { token } });
    expect(started.status).toBe(201);
    const view = await call("GET", `/api/v1/conversations/${started.body.conversation_id}`, { token: s.admin });
    expect(view.body).toMatchObject({ visitor_id: "user:cust-9", verified: true, identity: { user_id: "cust-9", email: "ada@example.com", name: "Ada Lovelace" } });
    // Expired ten seconds ago: within the tolerated clock difference.
    const justExpired = await sign({ sub: "cust-9", exp: nowS() - 10 }, s.secret, "HS256");
    expect((await widgetStart(s, { identity: { token: justExpired } })).status).toBe(201);
  });

  it("refuses a forged hash and an expired, early, badly signed or non-HS256 JWT with 401, and starts nothing", async () => {
    const s = await shop();
    const before = await conversationCount(s.workspaceId);
    const otherSecret = "idsec_" + "x".repeat(43);
    const header = (h: object) => btoa(JSON.stringify(h)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const unsignedBody = header({ sub: "cust-1", exp: nowS() + 300 });
    const attempts: Record<string, unknown>[] = [
      { user_id: "cust-1", user_hash: await userHash(s.secret, "cust-2") }, // another user's hash
      { user_id: "cust-1", user_hash: await userHash(otherSecret, "cust-1") }, // forged with a guessed secret
      { user_id: "cust-1", user_hash: "0".repeat(64) },
      { token: await sign({ sub: "cust-1", exp: nowS() - 3600 }, s.secret, "HS256") }, // expired
      { token: await sign({ sub: "cust-1", nbf: nowS() + 3600 }, s.secret, "HS256") }, // not valid yet
      { token: await sign({ sub: "cust-1", exp: nowS() + 300 }, otherSecret, "HS256") }, // wrong key
      { token: await sign({ sub: "cust-1", exp: nowS() + 300 }, s.secret, "HS512") }, // right key, wrong algorithm
      { token: `${header({ alg: "none", typ: "JWT" })}.${unsignedBody}.` }, // unsigned
      { token: "not-a-jwt" },
    ];
    for (const identity of attempts) {
      const res = await widgetStart(s, { visitor_id: "v_someone", identity });
      expect(res.status, JSON.stringify(identity)).toBe(401);
      expect(res.body.error).toMatchObject({ code: "unauthorized", message: expect.stringContaining("identity") });
    }
    expect(await conversationCount(s.workspaceId)).toBe(before);
  });

  it("refuses identity for an assistant without an identity secret with 409, never starting an anonymous conversation", async () => {
    const s = await shop({ withSecret: false });
    const res = await widgetStart(s, { visitor_id: "v_1", identity: { user_id: "cust-1", user_hash: "ab".repeat(32) } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("conflict");
    expect(res.body.error.message).toContain("identity secret");
    expect(await conversationCount(s.workspaceId)).toBe(0);
  });

  it("never lets an unverified caller claim a verified user's visitor id", async () => {
    const s = await shop();
    const proof = { user_id: "cust-5", user_hash: await userHash(s.secret, "cust-5") };
    const verified = await widgetStart(s, { identity: proof });
    const id = verified.body.conversation_id as string;
    for (const visitor_id of ["user:cust-5", "USER:cust-5", "User:anyone"]) {
      const start = await widgetStart(s, { visitor_id });
      expect(start.status).toBe(400);
      expect(start.body.error.code).toBe("invalid_request");
    }
    const sk = await createSecretKey(s.admin, "manager");
    const staffStart = await call("POST", "/api/v1/conversations", { token: sk.key, body: { assistant_id: s.assistant.id, visitor_id: "user:cust-5", channel: "api" } });
    expect(staffStart.status).toBe(400);
    // Renewing the verified conversation's token takes a fresh proof of that same user.
    const renew = (body: unknown) => call("POST", `/api/v1/conversations/${id}/token`, { token: s.pk, headers: { origin: SHOP }, body });
    expect((await renew({ visitor_id: "user:cust-5" })).status).toBe(400);
    expect((await renew({})).status).toBe(404);
    expect((await renew({ identity: { user_id: "cust-6", user_hash: await userHash(s.secret, "cust-6") } })).status).toBe(404);
    expect((await renew({ identity: { user_id: "cust-5", user_hash: "0".repeat(64) } })).status).toBe(401);
    const renewed = await renew({ identity: proof });
    expect(renewed.status).toBe(200);
    expect((await call("GET", `/api/v1/conversations/${id}`, { token: renewed.body.token })).body.visitor_id).toBe("user:cust-5");
    // Nothing was created under the verified id but the verified conversation.
    const rows = await env.DB.prepare("select id, verified from conversations where workspace_id = ? and lower(visitor_id) like 'user:%'").bind(s.workspaceId).all();
    expect(rows.results).toEqual([{ id, verified: 1 }]);
  });
});

describe("a verified user on another device", () => {
  it("reaches their open conversation with resume, and a new one once it is resolved", async () => {
    const s = await shop();
    const proof = { user_id: "cust-77", user_hash: await userHash(s.secret, "cust-77") };
    const laptop = await widgetStart(s, { identity: proof, resume: true });
    expect(laptop.status).toBe(201);
    expect(laptop.body.resumed).toBe(false);
    const id = laptop.body.conversation_id as string;
    const sent = await call("POST", `/api/v1/conversations/${id}/messages`, { token: laptop.body.token, body: { content: "Where is my order?" } });
    expect(sent.status).toBe(200);

    // The phone: a fresh widget with no stored conversation, the same user proved with a JWT.
    const phone = await widgetStart(s, { identity: { token: await sign({ sub: "cust-77", exp: nowS() + 300 }, s.secret, "HS256") }, resume: true });
    expect(phone.status).toBe(200);
    expect(phone.body).toMatchObject({ conversation_id: id, resumed: true, verified: true, visitor_id: "user:cust-77" });
    const history = await call("GET", `/api/v1/conversations/${id}/messages`, { token: phone.body.token });
    expect(history.body.data.map((m: { content: string }) => m.content)).toContain("Where is my order?");

    // Another user, or the same user without resume, gets a conversation of their own.
    const other = await widgetStart(s, { identity: { user_id: "cust-78", user_hash: await userHash(s.secret, "cust-78") }, resume: true });
    expect(other.status).toBe(201);
    expect(other.body.conversation_id).not.toBe(id);
    const noResume = await widgetStart(s, { identity: proof });
    expect(noResume.status).toBe(201);
    expect(noResume.body.conversation_id).not.toBe(id);

    // The latest open one is resumed; a resolved one never is.
    for (const conv of [noResume.body.conversation_id, id]) {
      expect((await call("POST", `/api/v1/conversations/${conv}/resolve`, { token: s.admin })).status).toBe(200);
    }
    const after = await widgetStart(s, { identity: proof, resume: true });
    expect(after.status).toBe(201);
    expect([id, noResume.body.conversation_id]).not.toContain(after.body.conversation_id);

    // The user's conversations share one visitor id: exported and erased together.
    const exported = await call("GET", "/api/v1/visitors/user:cust-77/export", { token: s.admin });
    expect(exported.body.conversations).toHaveLength(3);
    const erased = await call("DELETE", "/api/v1/visitors/user:cust-77", { token: s.admin });
    expect(erased.status).toBe(200);
    expect(erased.body.conversations).toBe(3);
    expect((await widgetStart(s, { identity: proof, resume: true })).status).toBe(201);
  });

  it("does not resume an unverified conversation or one of another assistant", async () => {
    const s = await shop();
    const second = await createAssistant(s.admin, { allowed_origins: [SHOP] });
    const sk = await createSecretKey(s.admin, "manager");
    const secret2 = (await call("POST", `/api/v1/assistants/${second.id}/identity-secret`, { token: s.admin })).body.secret as string;
    const onSecond = await call("POST", "/api/v1/conversations", {
      token: sk.key,
      body: { assistant_id: second.id, channel: "api", identity: { user_id: "cust-3", user_hash: await userHash(secret2, "cust-3") } },
    });
    expect(onSecond.status).toBe(201);
    const resumed = await widgetStart(s, { identity: { user_id: "cust-3", user_hash: await userHash(s.secret, "cust-3") }, resume: true });
    expect(resumed.status).toBe(201);
    expect(resumed.body.conversation_id).not.toBe(onSecond.body.conversation_id);
    expect((await widgetStart(s, { resume: true, visitor_id: "v_x" })).status).toBe(400);
  });
});

describe("the identity secret stays secret", () => {
  it("never appears in a later response or a log line", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => lines.push(args.map((a) => (typeof a === "string" ? a : (JSON.stringify(a) ?? String(a)))).join(" "));
    for (const level of ["log", "info", "warn", "error", "debug"] as const) vi.spyOn(console, level).mockImplementation(capture);
    const s = await shop();
    const bodies: string[] = [];
    const keep = (res: { body: unknown }) => bodies.push(JSON.stringify(res.body));
    const proof = { user_id: "cust-1", user_hash: await userHash(s.secret, "cust-1") };
    const jwt = await sign({ sub: "cust-1", email: "c1@example.com", exp: nowS() + 300 }, s.secret, "HS256");
    const started = await widgetStart(s, { identity: proof });
    keep(started);
    keep(await widgetStart(s, { identity: { token: jwt }, resume: true }));
    keep(await widgetStart(s, { identity: { user_id: "cust-1", user_hash: "f".repeat(64) } }));
    keep(await widgetStart(s, { identity: { token: jwt + "x" } }));
    keep(await call("GET", `/api/v1/assistants/${s.assistant.id}`, { token: s.admin }));
    keep(await call("GET", "/api/v1/assistants", { token: s.admin }));
    keep(await call("GET", `/api/v1/conversations/${started.body.conversation_id}`, { token: s.admin }));
    keep(await call("GET", "/api/v1/conversations", { token: s.admin }));
    keep(await call("GET", "/api/v1/visitors/user:cust-1/export", { token: s.admin }));
    keep(await call("GET", "/api/v1/audit-logs?limit=100", { token: s.admin }));
    keep(await call("GET", "/api/v1/openapi.json"));
    expect(bodies.length).toBeGreaterThan(5);
    for (const text of [...bodies, ...lines]) expect(text).not.toContain(s.secret);
    expect(lines.some((l) => l.includes("/api/v1/conversations"))).toBe(true); // the requests were logged, without it
  });
});
