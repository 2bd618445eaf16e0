import { describe, expect, inject, it } from "vitest";
import * as actionsPage from "../app/routes/_app.assistants.$id_.actions";
import { apiCall, memberBrowser, signedUpBrowser } from "./harness";

/** A signed-in admin with an assistant of their own. */
async function adminWithAssistant() {
  const s = await signedUpBrowser("Actions");
  const a = await apiCall("POST", "/assistants", { token: s.token, body: { name: "Orders helper" } });
  const assistantId = a.body.id as string;
  return { ...s, assistantId, path: `/assistants/${assistantId}/actions`, params: { id: assistantId } };
}

describe("the actions page", () => {
  it("creates an HTTP action from the form and lists it with its flags, never its header values", async () => {
    const w = await adminWithAssistant();
    const empty = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(empty.status).toBe(200);
    expect(empty.data.actions).toEqual([]);

    const created = await w.browser.submit(
      actionsPage.action,
      w.path,
      {
        intent: "create",
        name: "cancel_order",
        description: "Cancels an order",
        method: "POST",
        url: "https://orders.demo.invalid/orders/{order_number}/cancel",
        parameters: '{"type":"object","properties":{"order_number":{"type":"string"}},"required":["order_number"]}',
        headers: "Authorization: Bearer very-secret-token",
        response_fields: "status",
        mutating: "on",
        requires_verified: "on",
        handoff_on_failure: "on",
        "triggers.phrases": "cancel my order",
      },
      { params: w.params },
    );
    expect(created.data).toMatchObject({ ok: true, intent: "create", message: "Action created." });

    const out = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(out.data.actions).toHaveLength(1);
    expect(out.data.actions[0]).toMatchObject({
      name: "cancel_order",
      kind: "http",
      method: "POST",
      mutating: true,
      requires_verified: true,
      handoff_on_failure: true,
      headers_set: ["Authorization"],
      response_fields: ["status"],
      triggers: { phrases: ["cancel my order"] },
    });
    expect(JSON.stringify(out.data)).not.toContain("very-secret-token");
  });

  it("names the field of a bad form: parameters that are not JSON, a name the API refuses", async () => {
    const w = await adminWithAssistant();
    const badJson = await w.browser.submit(actionsPage.action, w.path, { intent: "create", name: "x", url: "https://example.com", parameters: "{nope" }, { params: w.params });
    expect(badJson.status).toBe(400);
    expect(badJson.data.error.fields.parameters).toBe("must be valid JSON");
    const badName = await w.browser.submit(actionsPage.action, w.path, { intent: "create", name: "9 lives", url: "https://example.com" }, { params: w.params });
    expect(badName.status).toBe(400);
    expect(badName.data.error.fields.name).toMatch(/must start with a letter/);
  });

  it("tests an action with sample arguments and shows the call in the recent calls", async () => {
    const w = await adminWithAssistant();
    const created = await apiCall("POST", `/assistants/${w.assistantId}/actions`, {
      token: w.token,
      body: { name: "get_order", url: "https://orders.demo.invalid/orders/{number}", parameters: { type: "object", properties: { number: { type: "string" } } } },
    });
    expect(created.status).toBe(201);
    const tested = await w.browser.submit(actionsPage.action, w.path, { intent: "test", action_id: created.body.id, arguments: '{"number":"1042"}' }, { params: w.params });
    expect(tested.data.ok).toBe(true);
    const status = tested.data.result.status as string;
    expect(["done", "failed"]).toContain(status);
    const out = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(out.data.calls).toHaveLength(1);
    expect(out.data.calls[0]).toMatchObject({ action_id: created.body.id, source: "test", status, arguments: { number: "1042" } });

    const badArgs = await w.browser.submit(actionsPage.action, w.path, { intent: "test", action_id: created.body.id, arguments: "[1," }, { params: w.params });
    expect(badArgs.data.error.fields.arguments).toBe("must be valid JSON");
  });

  it("imports actions from a pasted OpenAPI document", async () => {
    const w = await adminWithAssistant();
    const openapi = JSON.stringify({
      openapi: "3.0.0",
      info: { title: "Shop", version: "1" },
      servers: [{ url: "https://shop.example.com/api" }],
      paths: { "/orders/{id}": { get: { operationId: "getOrder", summary: "An order", parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }] } } },
    });
    const imported = await w.browser.submit(actionsPage.action, w.path, { intent: "import", openapi }, { params: w.params });
    expect(imported.data.ok).toBe(true);
    expect(imported.data.result.data.map((a: { name: string }) => a.name)).toEqual(["getOrder"]);
    const out = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(out.data.actions.map((a: { name: string; url: string }) => [a.name, a.url])).toEqual([["getOrder", "https://shop.example.com/api/orders/{id}"]]);
  });

  it("edits an action from the form: the page opens it by ?edit=, headers are set and removed by name, and the API's errors name the fields", async () => {
    const w = await adminWithAssistant();
    const created = await apiCall("POST", `/assistants/${w.assistantId}/actions`, {
      token: w.token,
      body: {
        name: "get_order",
        url: "https://orders.demo.invalid/orders/{number}",
        parameters: { type: "object", properties: { number: { type: "string" } }, required: ["number"] },
        headers: { "X-Api-Key": "k-1", "X-Trace": "t-1" },
      },
    });
    expect(created.status).toBe(201);
    const opened = await w.browser.load(actionsPage.loader, `${w.path}?edit=${created.body.id}`, w.params);
    expect(opened.data.editing).toMatchObject({ id: created.body.id, name: "get_order" });
    expect((await w.browser.load(actionsPage.loader, `${w.path}?edit=act_unknown`, w.params)).data.editing).toBeNull();

    const form = {
      intent: "update",
      action_id: created.body.id,
      kind: "http",
      name: "find_order",
      description: "Finds an order",
      method: "GET",
      url: "https://orders.demo.invalid/v2/orders/{number}",
      parameters: '{"type":"object","properties":{"number":{"type":"string"}},"required":["number"]}',
      headers: "X-Api-Key: k-2",
      remove_header: "X-Trace",
      response_fields: "status\ncarrier",
      "triggers.phrases": "where is my order, please\norder status",
      "triggers.patterns": "number: \\b(\\d{4})\\b",
      answer_template: "Order {number} is {status}.",
      timeout_ms: "4000",
      requires_verified: "on",
    };
    const saved = await w.browser.submit(actionsPage.action, w.path, form, { params: w.params });
    expect(saved.data).toMatchObject({ ok: true, intent: "update", message: "Changes saved." });
    const after = await apiCall("GET", `/actions/${created.body.id}`, { token: w.token });
    expect(after.body).toMatchObject({
      name: "find_order",
      description: "Finds an order",
      url: "https://orders.demo.invalid/v2/orders/{number}",
      headers_set: ["X-Api-Key"],
      response_fields: ["status", "carrier"],
      triggers: { phrases: ["where is my order, please", "order status"], patterns: { number: "\\b(\\d{4})\\b" } },
      answer_template: "Order {number} is {status}.",
      timeout_ms: 4000,
      mutating: false,
      requires_verified: true,
      handoff_on_failure: false,
      enabled: false,
    });

    const badPattern = await w.browser.submit(actionsPage.action, w.path, { ...form, "triggers.patterns": "no colon here" }, { params: w.params });
    expect(badPattern.status).toBe(400);
    expect(badPattern.data.error.fields["triggers.patterns"]).toMatch(/parameter: pattern/);
    const badUrl = await w.browser.submit(actionsPage.action, w.path, { ...form, url: "http://10.0.0.1/orders/{number}" }, { params: w.params });
    expect(badUrl.status).toBe(400);
    expect(badUrl.data.error.fields.url).toBeTruthy();
    const badTimeout = await w.browser.submit(actionsPage.action, w.path, { ...form, timeout_ms: "10" }, { params: w.params });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.data.error.fields.timeout_ms).toBeTruthy();
    expect((await apiCall("GET", `/actions/${created.body.id}`, { token: w.token })).body.url).toBe("https://orders.demo.invalid/v2/orders/{number}");
  });

  it("lists, refreshes and removes MCP servers, and edits an MCP tool's own settings but never what its server owns", async () => {
    const w = await adminWithAssistant();
    const key = `page-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`;
    const fake = inject("fakeActionsUrl");
    const connected = await apiCall("POST", `/assistants/${w.assistantId}/mcp-servers`, { token: w.token, body: { url: `${fake}/mcp/${key}`, headers: { Authorization: "Bearer mcp-secret" } } });
    expect(connected.status).toBe(201);
    const page = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(page.data.servers).toHaveLength(1);
    expect(page.data.servers[0]).toMatchObject({ id: connected.body.id, server_name: "acme-orders", tool_count: 2 });
    expect(JSON.stringify(page.data)).not.toContain("mcp-secret");

    const tool = connected.body.actions.find((a: { name: string }) => a.name === "get_order_status");
    const edited = await w.browser.submit(
      actionsPage.action,
      w.path,
      // A name and URL posted anyway are not sent: the server owns them.
      { intent: "update", action_id: tool.id, kind: "mcp", name: "renamed", url: "https://elsewhere.example.com", description: "Order status from the shop", response_fields: "status", enabled: "on" },
      { params: w.params },
    );
    expect(edited.data).toMatchObject({ ok: true, intent: "update" });
    expect((await apiCall("GET", `/actions/${tool.id}`, { token: w.token })).body).toMatchObject({ name: "get_order_status", url: `${fake}/mcp/${key}`, description: "Order status from the shop", response_fields: ["status"] });

    await fetch(`${fake}/__mcp/${key}/add-tool`, { method: "POST" });
    const refreshed = await w.browser.submit(actionsPage.action, w.path, { intent: "mcp_refresh", server_id: connected.body.id }, { params: w.params });
    expect(refreshed.data).toMatchObject({ ok: true, intent: "mcp_refresh" });
    expect((await w.browser.load(actionsPage.loader, w.path, w.params)).data.servers[0].tool_count).toBe(3);

    const manager = await memberBrowser(w.token, "manager");
    const seen = await manager.browser.load(actionsPage.loader, w.path, w.params);
    expect(seen.data.servers.map((s: { id: string }) => s.id)).toEqual([connected.body.id]);
    expect((await manager.browser.submit(actionsPage.action, w.path, { intent: "mcp_remove", server_id: connected.body.id }, { params: w.params })).status).toBe(403);
    expect((await manager.browser.submit(actionsPage.action, w.path, { intent: "update", action_id: tool.id, kind: "mcp", description: "x" }, { params: w.params })).status).toBe(403);

    const removed = await w.browser.submit(actionsPage.action, w.path, { intent: "mcp_remove", server_id: connected.body.id }, { params: w.params });
    expect(removed.data).toMatchObject({ ok: true, message: "MCP server removed, with its actions." });
    const gone = await w.browser.submit(actionsPage.action, w.path, { intent: "mcp_refresh", server_id: connected.body.id }, { params: w.params });
    expect(gone.status).toBe(404);
    expect(gone.data).toMatchObject({ ok: false, intent: "mcp_refresh" });
    const empty = await w.browser.load(actionsPage.loader, w.path, w.params);
    expect(empty.data.servers).toEqual([]);
    expect(empty.data.actions).toEqual([]);
  });
});
