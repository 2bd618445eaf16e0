/**
 * The hostile-input sweep: every route of the OpenAPI document, the provider webhooks and the
 * WebSocket, against a corpus of malformed, oversized, deep, mistyped, unicode-edge, injection
 * and traversal inputs. Each must get a 4xx in the API.md error shape (never a 5xx, never an
 * HTML page), and no store may change.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { openSocket } from "./conversation-helpers";
import { call, createAssistant, createSecretKey, signUp } from "./helpers";

interface Param {
  name: string;
  in: "path" | "query" | "header";
  schema: { type?: string; pattern?: string; enum?: string[]; format?: string; maxLength?: number };
}
interface Operation {
  parameters?: Param[];
  requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean; properties?: Record<string, unknown> } }> };
}
interface Route {
  method: string;
  path: string;
  op: Operation;
}

/** Webhooks read raw bodies and live outside the OpenAPI document. */
const WEBHOOKS = ["/webhooks/stripe", "/webhooks/slack/events", "/webhooks/whatsapp", "/webhooks/email", "/webhooks/zendesk"];

/** Strings no id, enum or format accepts: injection, script, traversal, control and bidi characters, overlong. */
const HOSTILE_IDS = [
  "' OR '1'='1",
  "1; DROP TABLE workspaces; --",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "\u0000",
  "ast_\u202eAAAAAAAA",
  "ﬀ\ud83d\ude00\u0301",
  "x".repeat(2_000),
  "${jndi:ldap://x}",
];

const deepJson = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

let ctx: {
  token: string;
  adminKey: string;
  ws: string;
  ids: Record<string, string>;
  foreign: Record<string, string>;
  conversationId: string;
  conversationToken: string;
};

beforeAll(async () => {
  const s = await signUp("Sweep");
  const assistant = await createAssistant(s.access_token);
  const viewer = await createSecretKey(s.access_token, "viewer");
  const admin = await createSecretKey(s.access_token, "admin");
  const conv = await call("POST", "/api/v1/conversations", {
    token: admin.key,
    body: { assistant_id: assistant.id, visitor_id: "sweep-visitor", channel: "api" },
  });
  const doc = await call("POST", `/api/v1/assistants/${assistant.id}/documents`, { token: s.access_token, body: { title: "T", content: "Some text" } });
  const invite = await call("POST", "/api/v1/team/invites", { token: s.access_token, body: { email: "invitee@example.test", role: "viewer" } });

  // Real objects of another workspace: they must be as invisible as ids that do not exist.
  const o = await signUp("SweepOther");
  const oAssistant = await createAssistant(o.access_token);
  const oKey = await createSecretKey(o.access_token, "viewer");
  const oAdmin = await createSecretKey(o.access_token, "admin");
  const oConv = await call("POST", "/api/v1/conversations", { token: oAdmin.key, body: { assistant_id: oAssistant.id, visitor_id: "x", channel: "api" } });
  const oDoc = await call("POST", `/api/v1/assistants/${oAssistant.id}/documents`, { token: o.access_token, body: { title: "T", content: "Other" } });

  ctx = {
    token: s.access_token,
    adminKey: admin.key,
    ws: s.workspace.id,
    conversationId: conv.body.conversation_id,
    conversationToken: conv.body.token,
    ids: {
      ast: assistant.id,
      key: viewer.id,
      conv: conv.body.conversation_id,
      doc: doc.body.id,
      usr: s.user.id,
      inv: invite.body?.id ?? "inv_000000000000",
      att: "att_0000000000000000",
    },
    foreign: { ast: oAssistant.id, key: oKey.id, conv: oConv.body.conversation_id, doc: oDoc.body.id, usr: o.user.id },
  };
  // Use the admin key once now, so its once-a-minute `last_used_at` write is behind us.
  await call("GET", "/v1/models", { token: admin.key });
  await settle();
});

/** Waits until queued work (ingestion, analytics, outbound jobs) has left the data alone for a second. */
async function settle(): Promise<void> {
  let previous = "";
  for (let i = 0; i < 30; i++) {
    const now = await snapshot();
    if (now === previous) return;
    previous = now;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  throw new Error("the data never settled");
}

/** Every D1 row, the conversation's messages and the workspace's files: what must not change. */
async function snapshot(): Promise<string> {
  const { results } = await env.DB.prepare("select name from sqlite_master where type = 'table'").all<{ name: string }>();
  const parts: unknown[] = [];
  for (const { name } of results) {
    // Usage counters count calls by design, and metric points record every request: they are
    // metering and measurement, not data a request can change.
    if (/^(sqlite_|_cf_|d1_|kb_chunks_fts_)/.test(name) || name === "usage_counters" || name === "metric_points") continue;
    parts.push(name, (await env.DB.prepare(`select * from "${name}"`).all()).results);
  }
  const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(ctx.conversationId));
  parts.push(await stub.listMessages(0, 1_000));
  parts.push((await env.FILES.list({ prefix: `ws/${ctx.ws}/` })).objects.map((o) => o.key));
  return JSON.stringify(parts);
}

/** A 4xx in the API.md shape, with the platform's headers, never HTML. */
function expectRefusal(res: Awaited<ReturnType<typeof call>>, label: string, statuses?: number[]) {
  const desc = `${label} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, desc).toBeGreaterThanOrEqual(400);
  expect(res.status, desc).toBeLessThan(500);
  if (statuses) expect(statuses, desc).toContain(res.status);
  expect(res.body, desc).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
  expect(res.headers.get("content-type") ?? "", desc).toMatch(/^application\/json/);
  expect(res.headers.get("x-request-id"), desc).toBeTruthy();
  expect(res.headers.get("x-content-type-options"), desc).toBe("nosniff");
}

async function openApiRoutes(): Promise<Route[]> {
  const doc = (await call("GET", "/api/v1/openapi.json")).body as { paths: Record<string, Record<string, Operation>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, op })));
}

/** A valid value for a path parameter, picked by the id prefix its pattern names. */
function validParam(p: Param, pool: Record<string, string>): string {
  if (p.schema.enum) return p.schema.enum[0]!;
  const prefix = p.schema.pattern?.match(/^\^([a-z]+)_/)?.[1];
  if (prefix && pool[prefix]) return pool[prefix]!;
  if (p.name === "visitor_id") return "sweep-visitor";
  return "x";
}

function fill(route: Route, override: Record<string, string> = {}, pool: Record<string, string> = ctx.ids): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name in override) return encodeURIComponent(override[name]!);
    const p = route.op.parameters?.find((x) => x.in === "path" && x.name === name);
    return encodeURIComponent(p ? validParam(p, pool) : "x");
  });
}

const hasBody = (method: string) => ["POST", "PUT", "PATCH", "DELETE"].includes(method);

/** Bodies every body-taking route refuses before its handler runs. */
function transportCases(): { label: string; rawBody: BodyInit; headers: Record<string, string>; statuses: number[] }[] {
  return [
    { label: "malformed JSON", rawBody: '{"name": "x",', headers: { "content-type": "application/json" }, statuses: [400] },
    { label: "invalid UTF-8", rawBody: new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), headers: { "content-type": "application/json" }, statuses: [400] },
    { label: "form-encoded", rawBody: "name=x&admin=1", headers: { "content-type": "application/x-www-form-urlencoded" }, statuses: [415] },
    { label: "XML", rawBody: "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>", headers: { "content-type": "application/xml" }, statuses: [415] },
    { label: "1.1 MB of JSON", rawBody: JSON.stringify({ pad: "y".repeat(1_100_000) }), headers: { "content-type": "application/json" }, statuses: [413] },
  ];
}

/** JSON bodies no route's schema accepts. */
function schemaCases(op: Operation): { label: string; body: string }[] {
  const schema = op.requestBody?.content["application/json"]?.schema ?? {};
  const props = Object.keys(schema.properties ?? {});
  const everyFieldWrong = props.length > 0 ? Object.fromEntries(props.map((p) => [p, [[{ $ne: 1 }]]])) : { __sweep: [[{ $ne: 1 }]] };
  const cases = [
    { label: "JSON array", body: "[1, 2, 3]" },
    { label: "JSON string", body: JSON.stringify("just a string") },
    { label: "JSON null", body: "null" },
    { label: "deeply nested (50,000 levels)", body: deepJson(50_000) },
    { label: "every field of the wrong type", body: JSON.stringify(everyFieldWrong) },
    { label: "40,000 unknown keys", body: JSON.stringify(Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`k${i}`, i]))) },
    { label: "unicode-edge keys and values", body: '{"\\u0000\\ud800": "\\u202e\\udfff", "\\ufeff": "\\uffff"}' },
    { label: "prototype pollution", body: '{"__proto__": {"role": "admin"}, "constructor": {"prototype": {"admin": true}}}' },
  ];
  // Hostile strings in every field that is an id, enum or format: none of them may pass.
  const constrained = Object.entries(schema.properties ?? {}).filter(([, s]) => {
    const x = s as Param["schema"];
    return x.enum || x.pattern || x.format;
  });
  if (constrained.length > 0) {
    for (const h of HOSTILE_IDS.slice(0, 5)) {
      cases.push({ label: `constrained fields = ${JSON.stringify(h.slice(0, 20))}`, body: JSON.stringify(Object.fromEntries(constrained.map(([k]) => [k, h]))) });
    }
  }
  return cases;
}

/** Query values a declared parameter refuses. */
function queryCases(op: Operation): { label: string; query: string }[] {
  const out: { label: string; query: string }[] = [];
  for (const p of op.parameters ?? []) {
    if (p.in !== "query") continue;
    const bad: string[] = [];
    if (p.schema.type === "integer" || p.schema.type === "number") bad.push("1e999", "-1", "NaN'--", "1.5");
    if (p.schema.enum) bad.push("<script>alert(1)</script>", "' OR 1=1 --");
    if (p.schema.pattern) bad.push("' OR '1'='1", "../../etc/passwd", "\u202e");
    if (p.schema.format === "date-time") bad.push("yesterday", "2026-13-45T99:99:99Z");
    if (p.schema.maxLength && !p.schema.pattern && !p.schema.enum) bad.push("x".repeat(p.schema.maxLength + 1));
    for (const v of bad) out.push({ label: `?${p.name}=${JSON.stringify(v.slice(0, 20))}`, query: `${p.name}=${encodeURIComponent(v)}` });
  }
  return out;
}

function credentialFor(path: string): string | undefined {
  if (path.startsWith("/v1/")) return ctx.adminKey; // the OpenAI-compatible API takes secret keys
  if (path.startsWith("/webhooks/")) return undefined;
  return ctx.token;
}

describe("every OpenAPI route refuses hostile input with a 4xx and changes nothing", () => {
  it("the OpenAPI document lists the routes the sweep covers", async () => {
    const routes = await openApiRoutes();
    expect(routes.length).toBeGreaterThan(40);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["POST /api/v1/billing/checkout", "DELETE /api/v1/visitors/{visitor_id}", "POST /webhooks/stripe", "POST /v1/chat/completions"]),
    );
  });

  it("sweeps them all", { timeout: 300_000 }, async () => {
    const routes = await openApiRoutes();
    let requests = 0;
    for (const route of routes) {
      const token = credentialFor(route.path);
      // The sweep can outlast the once-a-minute `last_used_at` write of the key it uses (made in
      // the background): have that write made now if it is due, so the data holds still for what
      // the hostile requests do.
      if (token === ctx.adminKey) {
        await call("GET", "/v1/models", { token });
        await settle();
      }
      const before = await snapshot();
      const send = async (label: string, path: string, opts: Parameters<typeof call>[2], statuses?: number[]) => {
        requests += 1;
        expectRefusal(await call(route.method, path, { token, ...opts }), `${route.method} ${route.path} ${label}`, statuses);
      };

      if (hasBody(route.method)) {
        for (const c of transportCases()) await send(c.label, fill(route), { rawBody: c.rawBody, headers: c.headers }, route.path.startsWith("/webhooks/") ? undefined : c.statuses);
        if (route.op.requestBody?.content["application/json"] || route.path.startsWith("/webhooks/")) {
          for (const c of schemaCases(route.op)) await send(c.label, fill(route), { rawBody: c.body, headers: { "content-type": "application/json" } });
        }
      }
      for (const c of queryCases(route.op)) await send(c.label, `${fill(route)}?${c.query}`, {}, [400]);
      for (const p of (route.op.parameters ?? []).filter((x) => x.in === "path")) {
        const body = route.op.requestBody?.content["application/json"] ? { __sweep: true } : undefined;
        for (const h of HOSTILE_IDS) await send(`{${p.name}} = ${JSON.stringify(h.slice(0, 20))}`, fill(route, { [p.name]: h }), { body }, [400, 404]);
        // A real id of another workspace is as unknown as any other.
        const prefix = p.schema.pattern?.match(/^\^([a-z]+)_/)?.[1];
        if (prefix && ctx.foreign[prefix]) await send(`{${p.name}} of another workspace`, fill(route, { [p.name]: ctx.foreign[prefix]! }), { body }, [400, 404]);
      }
      expect(await snapshot(), `${route.method} ${route.path} changed data`).toBe(before);
    }
    expect(requests).toBeGreaterThan(500);
  });
});

describe("webhooks refuse hostile deliveries", () => {
  it.each(WEBHOOKS)("%s answers 4xx to the corpus and changes nothing", { timeout: 60_000 }, async (path) => {
    const before = await snapshot();
    for (const c of [...transportCases(), ...schemaCases({}).map((s) => ({ label: s.label, rawBody: s.body, headers: { "content-type": "application/json" } }))]) {
      const res = await call("POST", path, { rawBody: c.rawBody, headers: c.headers });
      expect(res.status, `${path} ${c.label} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${c.label}`).toBeLessThan(500);
      expect(res.headers.get("content-type") ?? "", `${path} ${c.label}`).not.toMatch(/html/);
    }
    expect(await snapshot()).toBe(before);
  });
});

describe("the WebSocket route refuses hostile handshakes and frames", () => {
  const upgrade = (path: string) => exports.default.fetch(new Request(`http://api.test${path}`, { headers: { Upgrade: "websocket" } }));

  it("refuses bad handshakes with a 4xx in the error shape", async () => {
    const before = await snapshot();
    const id = ctx.conversationId;
    const plain = await call("GET", `/api/v1/conversations/${id}/ws?token=${ctx.conversationToken}`);
    expectRefusal(plain, "no upgrade", [400]);
    for (const [label, path, status] of [
      ["no token", `/api/v1/conversations/${id}/ws`, 401],
      ["forged token", `/api/v1/conversations/${id}/ws?token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl`, 401],
      ["injection in token", `/api/v1/conversations/${id}/ws?token=${encodeURIComponent("' OR 1=1 --")}`, 401],
      ["token of another conversation", `/api/v1/conversations/${ctx.foreign.conv}/ws?token=${ctx.conversationToken}`, 404],
      ...HOSTILE_IDS.map((h) => [`hostile id ${JSON.stringify(h.slice(0, 20))}`, `/api/v1/conversations/${encodeURIComponent(h)}/ws?token=${ctx.conversationToken}`, 404] as const),
    ] as const) {
      const res = await upgrade(path);
      const text = await res.text();
      expect(res.status, `${label}: ${text.slice(0, 200)}`).toBe(status);
      expect(JSON.parse(text), label).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    expect(await snapshot()).toBe(before);
  });

  it("answers hostile frames with error events, keeps the socket open and stores nothing", async () => {
    const before = await snapshot();
    const socket = await openSocket(ctx.conversationId, ctx.conversationToken);
    await socket.waitFor((e) => e.type === "status");
    const frames: (string | ArrayBuffer)[] = [
      "{not json",
      "[]",
      "null",
      JSON.stringify({ type: "message" }),
      JSON.stringify({ type: "message", content: 42 }),
      JSON.stringify({ type: "drop_tables", content: "x" }),
      JSON.stringify({ type: "message", content: "x".repeat(40_000) }),
      JSON.stringify({ type: "resume", after: "' OR 1=1 --" }),
      deepJson(10_000),
      new Uint8Array([0xff, 0xfe, 0xfd]).buffer,
    ];
    for (const [i, frame] of frames.entries()) {
      const from = socket.events.length;
      socket.ws.send(frame);
      const event = await socket.waitFor((e) => e.type === "error", { from });
      expect(event, `frame ${i}`).toMatchObject({ type: "error", code: expect.stringMatching(/^(invalid_frame|frame_too_large|not_found)$/) });
    }
    // Still open and answering.
    const from = socket.events.length;
    socket.send({ type: "ping" });
    await socket.waitFor((e) => e.type === "pong", { from });
    socket.close();
    expect(await snapshot()).toBe(before);
  });
});
