import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { getActionRow } from "../src/actions/action-store";
import { runAction } from "../src/actions/run-action";
import { listToolsForModel, runProcedureTurn, runToolCall } from "../src/actions/turn";
import { createDb } from "../src/storage/db";
import { base, createAction, customerOrder, hits, tenant, testCall, uniq, type Tenant } from "./action-helpers";
import { call, createSecretKey } from "./helpers";

/**
 * Actions through the real stack: definitions stored through the API (secrets write-only and
 * sealed), calls to a business's order API and MCP server (local stand-ins started by the
 * global setup), the identity rules, honest failures, the call log, tenant isolation, and the
 * conversation's seams (procedures, the model's tools). MCP servers and OpenAPI import are in
 * action-sources.test.ts.
 */

const API_KEY = "sk-order-api-0123456789";

/** The order lookup, also run as a procedure: its phrases and order-number pattern, and an answer template. */
const orderProcedure = () => ({
  ...customerOrder(),
  triggers: { phrases: ["where is my order", "order status", "wo ist meine Bestellung"], patterns: { order_number: "\\b(\\d{4,})\\b" } },
  answer_template: "Order {order_number} is {status} with {carrier}, due {eta}.",
});

let a: Tenant;
let b: Tenant;
beforeAll(async () => {
  [a, b] = await Promise.all([tenant("ActionsA"), tenant("ActionsB")]);
});

describe("action definitions", () => {
  it("stores an action with write-only headers and shows their names only", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `orders_${uniq()}`, headers: { "X-Api-Key": API_KEY } });
    expect(created).toMatchObject({ kind: "http", method: "GET", mutating: false, requires_verified: true, headers_set: ["X-Api-Key"], enabled: true });
    expect(JSON.stringify(created)).not.toContain(API_KEY);
    const row = await getActionRow(createDb(env.DB), a.workspaceId, created.id);
    expect(row.headers_ciphertext).toBeTruthy();
    expect(row.headers_ciphertext).not.toContain(API_KEY);

    const read = await call("GET", `/api/v1/actions/${created.id}`, { token: a.token });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain(API_KEY);
    const list = await call("GET", `/api/v1/assistants/${a.assistantId}/actions`, { token: a.token });
    expect(list.body.data.map((x: { id: string }) => x.id)).toContain(created.id);

    const patched = await call("PATCH", `/api/v1/actions/${created.id}`, { token: a.token, body: { headers: { "X-Api-Key": null, Authorization: "Bearer zzz-secret" }, enabled: false } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ headers_set: ["Authorization"], enabled: false });

    const audit = await call("GET", "/api/v1/audit-logs?limit=100", { token: a.token });
    const entries = JSON.stringify(audit.body);
    expect(entries).toContain("action.created");
    expect(entries).toContain("action.updated");
    expect(entries).not.toContain("zzz-secret");
    expect(entries).not.toContain(API_KEY);

    expect((await call("DELETE", `/api/v1/actions/${created.id}`, { token: a.token })).status).toBe(204);
    expect((await call("GET", `/api/v1/actions/${created.id}`, { token: a.token })).status).toBe(404);
  });

  it("lets managers read but only admins change", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `roles_${uniq()}` });
    const manager = await createSecretKey(a.token, "manager");
    const viewer = await createSecretKey(a.token, "viewer");
    expect((await call("GET", `/api/v1/actions/${created.id}`, { token: manager.key })).status).toBe(200);
    expect((await call("GET", `/api/v1/actions/${created.id}`, { token: viewer.key })).status).toBe(403);
    expect((await call("PATCH", `/api/v1/actions/${created.id}`, { token: manager.key, body: { enabled: false } })).status).toBe(403);
    expect((await call("POST", `/api/v1/assistants/${a.assistantId}/actions`, { token: manager.key, body: { name: "x", url: `${base()}/echo/x` } })).status).toBe(403);
    expect((await testCall(a, created.id, { arguments: {} })).status).toBe(200);
    expect((await call("POST", `/api/v1/actions/${created.id}/test`, { token: manager.key, body: { arguments: {} } })).status).toBe(403);
  });

  it.each([
    ["a name that is not an identifier", { name: "get order!" }],
    ["parameters that are not an object schema", { parameters: { type: "string" } }],
    ["a non-http URL", { url: "ftp://example.com/orders" }],
    ["a private address", { url: "http://169.254.169.254/latest/{order_number}" }],
    ["a loopback address spelled as a number", { url: "http://2130706433/orders/{order_number}" }],
    ["a placeholder in the host", { url: "https://{order_number}.example.com/orders" }],
    ["a placeholder naming no parameter", { url: `${"https://shop.example.com"}/orders/{order_id}` }],
    ["a pattern that backtracks without end", { triggers: { phrases: ["order"], patterns: { order_number: "(\\d+)+$" } } }],
    ["a pattern naming no parameter", { triggers: { phrases: ["order"], patterns: { zip: "\\d+" } } }],
    ["an invalid x-identity claim", { parameters: { type: "object", properties: { order_number: { type: "string" }, who: { type: "string", "x-identity": "password" } } } }],
  ])("refuses %s with 400", async (_, change) => {
    const res = await call("POST", `/api/v1/assistants/${a.assistantId}/actions`, { token: a.token, body: { ...orderProcedure(), name: `bad_${uniq()}`, ...change } });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("refuses a second action of the same name with 409", async () => {
    const name = `twice_${uniq()}`;
    await createAction(a, { ...orderProcedure(), name });
    const res = await call("POST", `/api/v1/assistants/${a.assistantId}/actions`, { token: a.token, body: { ...orderProcedure(), name } });
    expect(res.status).toBe(409);
  });

  it("keeps one workspace's actions invisible to another", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `private_${uniq()}` });
    for (const [method, path, body] of [
      ["GET", `/api/v1/actions/${created.id}`, undefined],
      ["PATCH", `/api/v1/actions/${created.id}`, { enabled: false }],
      ["DELETE", `/api/v1/actions/${created.id}`, undefined],
      ["POST", `/api/v1/actions/${created.id}/test`, { arguments: { order_number: "1042" } }],
      ["GET", `/api/v1/actions/${created.id}/calls`, undefined],
      ["GET", `/api/v1/assistants/${a.assistantId}/actions`, undefined],
      ["POST", `/api/v1/assistants/${a.assistantId}/actions`, { name: "sneaky", url: `${base()}/echo/x` }],
    ] as const) {
      const res = await call(method, path, { token: b.token, body });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    expect((await listToolsForModel(env, { workspaceId: b.workspaceId, assistantId: a.assistantId })).length).toBe(0);
    const viaB = await runToolCall(env, { workspaceId: b.workspaceId, assistantId: a.assistantId, conversationId: null, identity: null }, { name: created.name, arguments: {} });
    expect(viaB.call.status).toBe("failed");
    expect((await call("GET", `/api/v1/actions/${created.id}`, { token: a.token })).body.enabled).toBe(true);
  });
});

describe("running an action", () => {
  it("gives a verified visitor their order, with the chosen fields only", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `verified_${uniq()}` });
    const res = await testCall(a, created.id, { arguments: { order_number: "1042" }, identity: { user_id: "cust-1" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "done", result: { status: "shipped", carrier: "DHL", eta: "2026-12-09" } });
    expect(res.body.result).not.toHaveProperty("customer");
    expect(res.body.call).toMatchObject({ source: "test", status: "done", http_status: 200, arguments: { order_number: "1042", customer_id: "cust-1" } });
  });

  it("refuses an action that needs a verified visitor before any request is made", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `unverified_${uniq()}` });
    const before = await hits("customers:cust-1");
    const res = await testCall(a, created.id, { arguments: { order_number: "1042", customer_id: "cust-1" } });
    expect(res.body.status).toBe("failed");
    expect(res.body.error).toMatch(/verified/);
    expect(res.body).not.toHaveProperty("result");
    expect(await hits("customers:cust-1")).toBe(before);
  });

  it("overrides a user id the model supplies with the verified one", async () => {
    const created = await createAction(a, { ...orderProcedure(), name: `override_${uniq()}` });
    const result = await runToolCall(
      env,
      { workspaceId: a.workspaceId, assistantId: a.assistantId, conversationId: null, identity: { user_id: "cust-2" } },
      { name: created.name, arguments: { order_number: "1042", customer_id: "cust-1" } },
    );
    // 1042 belongs to cust-1; the call ran as the verified cust-2, so the service found no such order.
    expect(result.call).toMatchObject({ status: "failed", arguments: { customer_id: "cust-2" } });
    expect(result.content).toEqual({ error: "the service answered 404" });
    const tools = await listToolsForModel(env, { workspaceId: a.workspaceId, assistantId: a.assistantId });
    const tool = tools.find((t) => t.name === created.name);
    expect(tool?.parameters).toMatchObject({ properties: { order_number: { type: "string" } }, required: ["order_number"] });
    expect(JSON.stringify(tool?.parameters)).not.toContain("customer_id");
  });

  it("refuses arguments that do not fit the schema without calling", async () => {
    const key = `schema-${uniq()}`;
    const created = await createAction(a, {
      name: `schema_${uniq()}`,
      url: `${base()}/echo/${key}/{order_number}`,
      parameters: { type: "object", properties: { order_number: { type: "string", pattern: "^\\d+$" } }, required: ["order_number"] },
    });
    const res = await testCall(a, created.id, { arguments: { order_number: "../admin" } });
    expect(res.body.status).toBe("failed");
    expect(res.body.error).toMatch(/arguments do not fit/);
    expect(await hits(key)).toBe(0);
  });

  it("sends a write's arguments as JSON, keeps path arguments encoded, and redacts secrets in what it stores", async () => {
    const key = `echo-${uniq()}`;
    const created = await createAction(a, {
      name: `write_${uniq()}`,
      method: "POST",
      url: `${base()}/echo/${key}/{order_number}`,
      headers: { "X-Api-Key": API_KEY },
      parameters: {
        type: "object",
        properties: { order_number: { type: "string" }, note: { type: "string" }, password: { type: "string" }, lang: { type: "string", "x-in": "query" } },
      },
    });
    expect(created.mutating).toBe(true);
    const res = await testCall(a, created.id, { arguments: { order_number: "10 42/x", note: "leave at door", password: "hunter2-hunter2", lang: "de" } });
    expect(res.body.status).toBe("done");
    expect(res.body.result).toMatchObject({ method: "POST", path: `/echo/${key}/10%2042%2Fx`, query: { lang: "de" }, body: { note: "leave at door" } });
    // The service echoed the secret header back; neither it nor the password is stored or shown.
    const calls = await call("GET", `/api/v1/actions/${created.id}/calls`, { token: a.token });
    const stored = JSON.stringify(calls.body);
    expect(stored).not.toContain(API_KEY);
    expect(stored).not.toContain("hunter2-hunter2");
    expect(JSON.stringify(res.body)).not.toContain(API_KEY);
    expect(calls.body.data[0]).toMatchObject({ status: "done", source: "test", arguments: { password: "[redacted]", note: "leave at door" } });
  });

  it("ends a call that takes too long, honestly", async () => {
    const created = await createAction(a, { name: `slow_${uniq()}`, url: `${base()}/slow/${uniq()}`, timeout_ms: 500 });
    const res = await testCall(a, created.id, { arguments: {} });
    expect(res.body).toMatchObject({ status: "failed", error: "no answer within 500 ms" });
  });

  it("reports a 500, retrying a read once and a write never", async () => {
    const readKey = `fail-read-${uniq()}`;
    const writeKey = `fail-write-${uniq()}`;
    const read = await createAction(a, { name: `fail_read_${uniq()}`, url: `${base()}/fail/${readKey}` });
    const write = await createAction(a, { name: `fail_write_${uniq()}`, method: "POST", url: `${base()}/fail/${writeKey}` });
    expect((await testCall(a, read.id, { arguments: {} })).body).toMatchObject({ status: "failed", error: "the service answered 500", call: { http_status: 500 } });
    expect((await testCall(a, write.id, { arguments: {} })).body).toMatchObject({ status: "failed", error: "the service answered 500" });
    expect(await hits(readKey)).toBe(2);
    expect(await hits(writeKey)).toBe(1);
    const failures = await call("GET", `/api/v1/actions/${read.id}/calls?status=failed`, { token: a.token });
    expect(failures.body.data).toHaveLength(1);
    expect(failures.body.data[0]).toMatchObject({ status: "failed", error: "the service answered 500", http_status: 500 });
  });

  it("refuses a redirect to a private address and an answer over the size limit", async () => {
    const redirect = await createAction(a, { name: `redirect_${uniq()}`, url: `${base()}/redirect-private/${uniq()}` });
    const res = await testCall(a, redirect.id, { arguments: {} });
    expect(res.body.status).toBe("failed");
    expect(res.body.error).toMatch(/refused destination.*169\.254\.169\.254/);
    const big = await createAction(a, { name: `big_${uniq()}`, url: `${base()}/big/${uniq()}` });
    expect((await testCall(a, big.id, { arguments: {} })).body).toMatchObject({ status: "failed", error: expect.stringMatching(/larger than/) });
  });

  it("refuses at call time a private URL stored before the policy changed", async () => {
    const created = await createAction(a, { name: `later_${uniq()}`, url: `${base()}/echo/later` });
    // The same row under a policy without the test servers' allowance: production's.
    const row = await getActionRow(createDb(env.DB), a.workspaceId, created.id);
    const strict = { ...env, ALLOW_PRIVATE_FETCH: "" };
    const { outcome } = await runAction(strict, row, { arguments: {}, identity: null }, { source: "test", conversationId: null });
    expect(outcome).toMatchObject({ status: "failed", error: expect.stringMatching(/refused destination/) });
  });
});

describe("procedures", () => {
  it("answers a verified visitor's order question from the action, before any model", async () => {
    const t = await tenant("Procedures");
    await createAction(t, orderProcedure());
    const ctx = { workspaceId: t.workspaceId, assistantId: t.assistantId, conversationId: null };
    const turn = await runProcedureTurn(env, { ...ctx, identity: { user_id: "cust-1" }, text: "Hi, where is my order 1042?", language: "en" });
    expect(turn?.answer).toBe("Order 1042 is shipped with DHL, due 2026-12-09.");
    expect(turn?.call).toMatchObject({ status: "done", name: "get_order_status", arguments: { order_number: "1042", customer_id: "cust-1" } });

    const unverified = await runProcedureTurn(env, { ...ctx, identity: null, text: "where is my order 1042", language: "en" });
    expect(unverified?.answer).toBe("I can look that up once you're signed in.");
    expect(unverified?.call.status).toBe("failed");

    expect(await runProcedureTurn(env, { ...ctx, identity: { user_id: "cust-1" }, text: "Do you ship to Norway?", language: "en" })).toBeNull();
    // Someone else's order: the service finds none for this visitor, and the answer says so.
    const notTheirs = await runProcedureTurn(env, { ...ctx, identity: { user_id: "cust-2" }, text: "Wo ist meine Bestellung 1042?", language: "de" });
    expect(notTheirs?.answer).toBe("Das konnte ich nicht finden. Stimmt die Nummer?");
    expect(notTheirs?.call).toMatchObject({ status: "failed", error: "the service answered 404", arguments: { customer_id: "cust-2" } });
  });

  it("runs the demo shop's order lookup in-process when the demo service is on", async () => {
    const t = await tenant("DemoShop");
    const demoKey = `demo-${uniq()}-${uniq()}-${uniq()}`;
    await createAction(t, {
      name: "get_order_status",
      url: "https://orders.demo.invalid/orders/{order_number}",
      headers: { Authorization: `Bearer ${demoKey}` },
      parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
      response_fields: ["status", "carrier", "eta"],
      triggers: { phrases: ["where is my order", "order status"], patterns: { order_number: "\\b(\\d{4,})\\b" } },
      answer_template: "Order {order_number} is {status} ({carrier}), expected {eta}.",
    });
    const ctx = { workspaceId: t.workspaceId, assistantId: t.assistantId, conversationId: null, identity: null };
    const on = await runProcedureTurn({ ...env, DEMO_ORDERS_KEY: demoKey }, { ...ctx, text: "What's the status of order 1042?", language: "en" });
    expect(on?.answer).toBe("Order 1042 is shipped (DHL), expected 2026-12-09.");
    const wrongKey = await runProcedureTurn({ ...env, DEMO_ORDERS_KEY: `other-${demoKey}` }, { ...ctx, text: "order status 1042", language: "en" });
    expect(wrongKey?.call).toMatchObject({ status: "failed", error: "the service answered 401" });
    const off = await runProcedureTurn(env, { ...ctx, text: "order status 1042", language: "en" });
    expect(off?.call).toMatchObject({ status: "failed", error: "the service answered 404" });
  });
});
