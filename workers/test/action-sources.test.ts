import { beforeAll, describe, expect, it } from "vitest";
import { base, tenant, testCall, uniq, type Tenant } from "./action-helpers";
import { call, createSecretKey } from "./helpers";

/**
 * Where actions come from besides a hand-written definition: a remote MCP server's tools
 * (through the official SDK, against the SDK's own server in the global setup) and the
 * operations of an OpenAPI document.
 */

let a: Tenant;
beforeAll(async () => {
  a = await tenant("SourcesOther");
});

describe("MCP servers", () => {
  it("turns a server's tools into actions, calls them through the SDK, and refreshes them", async () => {
    const t = await tenant("Mcp");
    const scenario = uniq();
    const url = `${base()}/mcp/${scenario}`;
    const refused = await call("POST", `/api/v1/assistants/${t.assistantId}/mcp-servers`, { token: t.token, body: { url } });
    expect(refused.status).toBe(502); // no bearer token: the server says 401

    const connected = await call("POST", `/api/v1/assistants/${t.assistantId}/mcp-servers`, { token: t.token, body: { url, headers: { Authorization: "Bearer mcp-secret" } } });
    expect(connected.status).toBe(201);
    expect(connected.body).toMatchObject({ url, server_name: "acme-orders", tool_count: 2, headers_set: ["Authorization"] });
    expect(JSON.stringify(connected.body)).not.toContain("mcp-secret");
    const byName = Object.fromEntries(connected.body.actions.map((x: { name: string }) => [x.name, x]));
    expect(byName.get_order_status).toMatchObject({ kind: "mcp", mutating: false, parameters: { type: "object", properties: { order_number: { type: "string" } } } });
    expect(byName.cancel_order).toMatchObject({ kind: "mcp", mutating: true });

    const ok = await testCall(t, byName.get_order_status.id, { arguments: { order_number: "1042" } });
    expect(ok.body).toMatchObject({ status: "done", result: { number: "1042", status: "shipped", carrier: "DHL" } });
    const toolError = await testCall(t, byName.get_order_status.id, { arguments: { order_number: "9999" } });
    expect(toolError.body).toMatchObject({ status: "failed", error: expect.stringMatching(/no order 9999/) });

    const patchUrl = await call("PATCH", `/api/v1/actions/${byName.get_order_status.id}`, { token: t.token, body: { url: `${base()}/echo/x` } });
    expect(patchUrl.status).toBe(400);
    await call("PATCH", `/api/v1/actions/${byName.get_order_status.id}`, { token: t.token, body: { response_fields: ["status"] } });

    await fetch(`${base()}/__mcp/${scenario}/add-tool`, { method: "POST" });
    const refreshed = await call("POST", `/api/v1/mcp-servers/${connected.body.id}/refresh`, { token: t.token });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.actions.map((x: { name: string }) => x.name).sort()).toEqual(["cancel_order", "get_order_status", "track_parcel"]);
    // The business's own settings on a tool survive a refresh.
    expect(refreshed.body.actions.find((x: { name: string }) => x.name === "get_order_status")).toMatchObject({ id: byName.get_order_status.id, response_fields: ["status"] });
    expect((await testCall(t, byName.get_order_status.id, { arguments: { order_number: "1042" } })).body.result).toEqual({ status: "shipped" });

    expect((await call("POST", `/api/v1/mcp-servers/${connected.body.id}/refresh`, { token: a.token })).status).toBe(404);
    expect((await call("POST", `/api/v1/assistants/${t.assistantId}/mcp-servers`, { token: t.token, body: { url: "http://10.0.0.7/mcp" } })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/mcp-servers/${connected.body.id}`, { token: t.token })).status).toBe(204);
    expect((await call("GET", `/api/v1/actions/${byName.get_order_status.id}`, { token: t.token })).status).toBe(404);
  });
});

describe("the list of an assistant's MCP servers", () => {
  it("shows managers each server with its tools, oldest first, never the header values; viewers and other workspaces get nothing", async () => {
    const t = await tenant("McpList");
    const list = (token: string, assistantId = t.assistantId) => call("GET", `/api/v1/assistants/${assistantId}/mcp-servers`, { token });
    expect((await list(t.token)).body).toEqual({ data: [] });

    const headers = { Authorization: "Bearer mcp-secret" };
    const first = await call("POST", `/api/v1/assistants/${t.assistantId}/mcp-servers`, { token: t.token, body: { url: `${base()}/mcp/${uniq()}`, headers } });
    const secondScenario = uniq();
    await fetch(`${base()}/__mcp/${secondScenario}/add-tool`, { method: "POST" });
    const second = await call("POST", `/api/v1/assistants/${t.assistantId}/mcp-servers`, { token: t.token, body: { url: `${base()}/mcp/${secondScenario}`, headers } });
    expect([first.status, second.status]).toEqual([201, 201]);

    const manager = await createSecretKey(t.token, "manager");
    const seen = await list(manager.key);
    expect(seen.status).toBe(200);
    expect(seen.body.data.map((s: { id: string }) => s.id)).toEqual([first.body.id, second.body.id]);
    expect(seen.body.data[0]).toMatchObject({ url: first.body.url, server_name: "acme-orders", tool_count: 2, headers_set: ["Authorization"] });
    // A name two servers share stays with the first: the second keeps only the tool it alone has.
    expect(seen.body.data[0].actions.map((x: { name: string }) => x.name)).toEqual(["cancel_order", "get_order_status"]);
    expect(seen.body.data[1].actions.map((x: { name: string }) => x.name)).toEqual(["track_parcel"]);
    expect(JSON.stringify(seen.body)).not.toContain("mcp-secret");

    const viewer = await createSecretKey(t.token, "viewer");
    expect((await list(viewer.key)).status).toBe(403);
    expect((await list(a.token)).status).toBe(404);
    await call("DELETE", `/api/v1/mcp-servers/${first.body.id}`, { token: t.token });
    expect((await list(t.token)).body.data.map((s: { id: string }) => s.id)).toEqual([second.body.id]);
  });
});

describe("OpenAPI import", () => {
  const spec = (server: string) => ({
    openapi: "3.0.3",
    info: { title: "Shop", version: "1" },
    servers: [{ url: server }],
    paths: {
      "/orders/{number}": {
        parameters: [{ name: "number", in: "path", required: true, schema: { type: "string" } }],
        get: { operationId: "getOrder", summary: "Get an order", parameters: [{ name: "expand", in: "query", schema: { type: "boolean" } }] },
        delete: { operationId: "cancelOrder", summary: "Cancel an order" },
      },
      "/returns": {
        post: {
          operationId: "createReturn",
          description: "Start a return",
          requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/Return" } } } },
        },
      },
      "/upload": { post: { operationId: "upload", requestBody: { required: true, content: { "multipart/form-data": { schema: { type: "object" } } } } } },
    },
    components: { schemas: { Return: { type: "object", properties: { order_number: { type: "string" }, reason: { type: "string" } }, required: ["order_number"] } } },
  });

  it("creates an action per operation from a JSON document", async () => {
    const t = await tenant("ImportJson");
    const res = await call("POST", `/api/v1/assistants/${t.assistantId}/actions/import`, { token: t.token, body: { openapi: spec(base()) } });
    expect(res.status).toBe(201);
    const byName = Object.fromEntries(res.body.data.map((x: { name: string }) => [x.name, x]));
    expect(byName.getOrder).toMatchObject({
      method: "GET",
      mutating: false,
      url: `${base()}/orders/{number}`,
      description: "Get an order",
      parameters: { type: "object", properties: { number: { type: "string" }, expand: { type: "boolean", "x-in": "query" } }, required: ["number"] },
    });
    expect(byName.cancelOrder).toMatchObject({ method: "DELETE", mutating: true });
    expect(byName.createReturn).toMatchObject({ method: "POST", mutating: true, parameters: { properties: { order_number: { type: "string" }, reason: { type: "string" } }, required: ["order_number"] } });
    expect(res.body.skipped).toEqual([{ operation: "POST /upload", reason: expect.stringMatching(/not JSON/) }]);
    const run = await testCall(t, byName.getOrder.id, { arguments: { number: "1042" } });
    expect(run.body).toMatchObject({ status: "done", result: { number: "1042", status: "shipped" } });
  });

  it("reads YAML, and skips operations whose server is private", async () => {
    const t = await tenant("ImportYaml");
    const yaml = [
      "openapi: 3.1.0",
      "info: {title: Shop, version: '1'}",
      "servers:",
      "  - url: https://api.shop.example.com/v1",
      "paths:",
      "  /orders/{number}:",
      "    get:",
      "      operationId: getOrder",
      "      parameters:",
      "        - {name: number, in: path, required: true, schema: {type: string}}",
    ].join("\n");
    const res = await call("POST", `/api/v1/assistants/${t.assistantId}/actions/import`, { token: t.token, body: { openapi: yaml } });
    expect(res.status).toBe(201);
    expect(res.body.data[0]).toMatchObject({ name: "getOrder", url: "https://api.shop.example.com/v1/orders/{number}" });
    const priv = await call("POST", `/api/v1/assistants/${t.assistantId}/actions/import`, { token: t.token, body: { openapi: spec("http://192.168.1.10") } });
    expect(priv.body.data).toEqual([]);
    expect(priv.body.skipped[0].reason).toMatch(/private network/);
    expect((await call("POST", `/api/v1/assistants/${t.assistantId}/actions/import`, { token: t.token, body: { openapi: "not: [an openapi" } })).status).toBe(400);
  });
});
