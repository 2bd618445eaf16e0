import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { call, createAssistant, createSecretKey, PASSWORD, signUp, uniqueEmail } from "./helpers";

const TABLES = [
  "workspaces",
  "users",
  "refresh_tokens",
  "assistants",
  "api_keys",
  "conversations",
  "messages",
  "kb_documents",
  "kb_chunks",
  "audit_logs",
  "analytics_events",
];

/** Every row of every table, to prove a rejected request changed nothing. */
async function snapshot(): Promise<string> {
  const parts: unknown[] = [];
  for (const t of TABLES) parts.push((await env.DB.prepare(`select * from ${t} order by rowid`).all()).results);
  return JSON.stringify(parts);
}

interface Ctx {
  token: string;
  assistantId: string;
  keyId: string;
  refreshToken: string;
}

interface RouteCase {
  name: string;
  method: string;
  path: (c: Ctx) => string;
  auth: boolean;
  /** A valid body, the base that each bad input distorts. */
  valid?: (c: Ctx) => Record<string, unknown>;
  /** A string field to stuff with hostile values. */
  textField?: string;
  /** True when `{}` is a valid body for this route. */
  emptyOk?: boolean;
}

const ROUTES: RouteCase[] = [
  {
    name: "sign-up",
    method: "POST",
    path: () => "/api/v1/workspaces",
    auth: false,
    valid: () => ({ workspace_name: "W", email: uniqueEmail("bad"), password: PASSWORD }),
    textField: "email",
  },
  {
    name: "login",
    method: "POST",
    path: () => "/api/v1/auth/login",
    auth: false,
    valid: () => ({ email: "someone@example.test", password: PASSWORD }),
    textField: "email",
  },
  {
    name: "refresh",
    method: "POST",
    path: () => "/api/v1/auth/refresh",
    auth: false,
    valid: (c) => ({ refresh_token: c.refreshToken }),
    textField: "refresh_token",
  },
  {
    name: "password change",
    method: "POST",
    path: () => "/api/v1/auth/password",
    auth: true,
    // Passwords are opaque: any 10 to 256 characters are valid, hostile-looking or not.
    valid: () => ({ current_password: PASSWORD, new_password: "another good passphrase" }),
  },
  {
    name: "assistant create",
    method: "POST",
    path: () => "/api/v1/assistants",
    auth: true,
    valid: () => ({ name: "Bot", tone: "friendly" }),
    textField: "tone",
  },
  {
    name: "assistant update",
    method: "PATCH",
    path: (c) => `/api/v1/assistants/${c.assistantId}`,
    auth: true,
    valid: () => ({ tone: "casual" }),
    textField: "tone",
  },
  {
    name: "api key create",
    method: "POST",
    path: () => "/api/v1/api-keys",
    auth: true,
    valid: () => ({ name: "k", scope: "viewer" }),
    textField: "scope",
  },
  {
    name: "api key rotate",
    method: "POST",
    path: (c) => `/api/v1/api-keys/${c.keyId}/rotate`,
    auth: true,
    valid: () => ({ overlap_seconds: 0 }),
    emptyOk: true,
  },
];

const HOSTILE_STRINGS = [
  "' OR 1=1; DROP TABLE users; --",
  "<script>alert(1)</script>",
  "x".repeat(300_000),
  "\u0000\u202e\ufeff",
  "../../../../etc/passwd",
];

const BAD_IDS = [
  "' OR '1'='1",
  "ast_<script>",
  "..%2F..%2Fetc%2Fpasswd",
  "ast_" + "a".repeat(500),
  "%00",
  "ast_AAAAAAAA;DROP",
];

let ctx: Ctx;

beforeAll(async () => {
  const s = await signUp("Sweep");
  const assistant = await createAssistant(s.access_token);
  const key = await createSecretKey(s.access_token, "viewer");
  ctx = { token: s.access_token, assistantId: assistant.id, keyId: key.id, refreshToken: s.refresh_token };
});

/** Sends a request and checks: an error of `status`, in the API.md shape, and no change to the data. */
async function expectRejected(
  status: number | number[],
  method: string,
  path: string,
  opts: Parameters<typeof call>[2],
) {
  const before = await snapshot();
  const res = await call(method, path, opts);
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, `${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`).toContain(res.status);
  expect(res.body).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
  expect(res.headers.get("x-request-id")).toBeTruthy();
  expect(await snapshot()).toBe(before);
  return res;
}

describe.each(ROUTES)("bad input to $name", (route) => {
  const opts = (body: unknown, extra: Record<string, string> = {}) => ({
    token: route.auth ? ctx.token : undefined,
    body,
    headers: extra,
  });

  it("malformed JSON is a 400", async () => {
    await expectRejected(400, route.method, route.path(ctx), {
      token: route.auth ? ctx.token : undefined,
      rawBody: '{"name": "x",',
      headers: { "content-type": "application/json" },
    });
  });

  it("invalid UTF-8 is a 400", async () => {
    await expectRejected(400, route.method, route.path(ctx), {
      token: route.auth ? ctx.token : undefined,
      rawBody: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers: { "content-type": "application/json" },
    });
  });

  it("a non-JSON media type is a 415", async () => {
    await expectRejected(415, route.method, route.path(ctx), {
      token: route.auth ? ctx.token : undefined,
      rawBody: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  });

  it("a body over 1 MiB is a 413", async () => {
    await expectRejected(413, route.method, route.path(ctx), opts({ ...route.valid!(ctx), pad: "y".repeat(1_100_000) }));
  });

  it("unknown fields are a 400", async () => {
    const res = await expectRejected(400, route.method, route.path(ctx), opts({ ...route.valid!(ctx), is_admin: true }));
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("wrong types are a 400 with the failing field named", async () => {
    const valid = route.valid!(ctx);
    const field = Object.keys(valid)[0]!;
    const res = await expectRejected(400, route.method, route.path(ctx), opts({ ...valid, [field]: { nested: [1, 2] } }));
    expect(JSON.stringify(res.body.error.details)).toContain(field);
  });

  it("a JSON array or scalar instead of an object is a 400", async () => {
    await expectRejected(400, route.method, route.path(ctx), opts([route.valid!(ctx)]));
    await expectRejected(400, route.method, route.path(ctx), opts("just a string"));
  });

  if (!route.emptyOk) {
    it("an empty body or missing fields are a 400", async () => {
      await expectRejected(400, route.method, route.path(ctx), {
        token: route.auth ? ctx.token : undefined,
        headers: { "content-type": "application/json" },
      });
      await expectRejected(400, route.method, route.path(ctx), opts({}));
    });
  }

  if (route.textField) {
    it.each(HOSTILE_STRINGS.map((s) => [s.slice(0, 30), s]))("hostile %j is refused", async (_label, value) => {
      await expectRejected([400, 401], route.method, route.path(ctx), opts({ ...route.valid!(ctx), [route.textField!]: value }));
    });
  }
});

describe("bad ids and unknown routes", () => {
  it.each(BAD_IDS)("id %j in a path is a 400 or 404, never a query", async (id) => {
    const path = encodeURIComponent(id).replace(/%25/g, "%");
    for (const [method, p] of [
      ["GET", `/api/v1/assistants/${path}`],
      ["PATCH", `/api/v1/assistants/${path}`],
      ["DELETE", `/api/v1/assistants/${path}`],
      ["POST", `/api/v1/api-keys/${path}/rotate`],
      ["DELETE", `/api/v1/api-keys/${path}`],
    ] as const) {
      await expectRejected([400, 404], method, p, { token: ctx.token, body: method === "PATCH" ? { name: "x" } : undefined });
    }
  });

  it("bad pagination parameters are a 400", async () => {
    for (const q of ["limit=0", "limit=101", "limit=abc", "cursor=%%%", "cursor=bm90LWpzb24", "unknown=1"]) {
      await expectRejected(400, "GET", `/api/v1/assistants?${q}`, { token: ctx.token });
    }
  });

  it("an unknown route is a 404 and a wrong method a 405, both in the error shape", async () => {
    await expectRejected(404, "GET", "/api/v1/nope", { token: ctx.token });
    const res = await expectRejected(405, "PUT", "/api/v1/assistants", { token: ctx.token, body: {} });
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("stores hostile but valid text literally, never interpreting it", async () => {
    const name = "Robert'); DROP TABLE assistants; -- <img src=x onerror=alert(1)>";
    const res = await call("POST", "/api/v1/assistants", { token: ctx.token, body: { name } });
    expect(res.status).toBe(201);
    const back = await call("GET", `/api/v1/assistants/${res.body.id}`, { token: ctx.token });
    expect(back.body.name).toBe(name);
    expect(back.headers.get("content-type")).toMatch(/^application\/json/);
    const count = await env.DB.prepare("select count(*) as n from assistants").first<{ n: number }>();
    expect(count?.n).toBeGreaterThanOrEqual(2);
  });
});
