import { describe, expect, it } from "vitest";
import * as actionsPage from "../app/routes/_app.assistants.$id.actions";
import { apiCall, signedUpBrowser } from "./harness";

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
});
