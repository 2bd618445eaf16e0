/**
 * The actions page in a browser: an admin edits an action and sees the API hold the change (and
 * the business's service receive it), gets the API's errors next to
 * the fields, and refreshes and removes an MCP server (the SDK's own server, in the fake
 * business services the platform runs); a manager sees it all and changes nothing.
 */
import { analyzeAccessibility } from "../../e2e/axe";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { api, launchChromium, PASSWORD, signUpInBrowser, uniqueEmail } from "./support";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const MCP_HEADERS = { Authorization: "Bearer mcp-secret" }; // the fake MCP server's token

async function violations(page: Page) {
  const result = await analyzeAccessibility(page, WCAG_TAGS);
  return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}

describe("the actions page", () => {
  let browser: Browser;
  let admin: Page;
  let token: string;
  let assistantId: string;
  const fake = () => inject("fakeActionsUrl");
  const scenario = () => `ui-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const go = (page: Page, query = "") => page.goto(`${inject("dashboardUrl")}/assistants/${assistantId}/actions${query}`);
  const connect = (key: string) => api("POST", `/assistants/${assistantId}/mcp-servers`, { token, body: { url: `${fake()}/mcp/${key}`, headers: MCP_HEADERS } });

  beforeAll(async () => {
    browser = await launchChromium();
    const owner = await signUpInBrowser(browser, "Actions Co");
    admin = owner.page;
    token = owner.token;
    assistantId = (await api("POST", "/assistants", { token, body: { name: "Helper", allowed_origins: ["https://shop.example.com"] } })).id;
  });
  afterAll(async () => browser?.close());

  it("lets an admin edit every field of an action, headers replaced and removed by name, and shows the API's errors by the fields", async () => {
    const key = scenario();
    const created = await api("POST", `/assistants/${assistantId}/actions`, {
      token,
      body: {
        name: "lookup_order",
        description: "Looks an order up",
        url: `${fake()}/orders/{order_number}`,
        parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
        headers: { "X-Api-Key": "old-secret", "X-Trace": "trace-secret" },
      },
    });
    await go(admin);
    await admin.getByRole("link", { name: "Edit lookup_order" }).click();
    const form = admin.locator("form[aria-labelledby=edit-heading]");
    await admin.getByRole("heading", { name: "Edit lookup_order" }).waitFor();
    expect(await form.getByLabel("URL").inputValue()).toBe(`${fake()}/orders/{order_number}`);
    expect(await form.getByLabel("Enabled").isChecked()).toBe(true);
    // Header values are write-only: only their names are on the page.
    expect(await admin.content()).not.toContain("old-secret");
    expect(await violations(admin), "edit form").toEqual([]);

    // The API's own error, next to the field it names; nothing is changed.
    await form.getByLabel("Name", { exact: true }).fill("9-not-a-name");
    await form.getByLabel("Parameters (JSON Schema)").fill('{"type":"object","properties":{"order_number":{"type":"string"},"note":{"type":"string"}}}');
    await form.getByRole("button", { name: "Save changes" }).click();
    await form.getByRole("alert").waitFor();
    expect(await form.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")).toBe("true");
    expect(await form.locator(".field-error").first().innerText()).toMatch(/must start with a letter/);
    expect(await violations(admin), "edit form with errors").toEqual([]);
    expect((await api("GET", `/actions/${created.id}`, { token })).name).toBe("lookup_order");
    // JSON that does not parse is named before the API is asked.
    await form.getByLabel("Name", { exact: true }).fill("find_order");
    await form.getByLabel("Parameters (JSON Schema)").fill("{not json");
    await form.getByRole("button", { name: "Save changes" }).click();
    await expect.poll(() => form.getByLabel("Parameters (JSON Schema)").getAttribute("aria-invalid")).toBe("true");
    expect(await form.innerText()).toContain("must be valid JSON");

    await form.getByLabel("Name", { exact: true }).fill("find_order");
    await form.getByLabel("Description").fill("Finds an order and says what the shop received");
    await form.getByLabel("Method").selectOption("POST");
    await form.getByLabel("URL").fill(`${fake()}/echo/${key}/{order_number}`);
    await form.getByLabel("Parameters (JSON Schema)").fill(JSON.stringify({ type: "object", properties: { order_number: { type: "string", pattern: "^\\d{4}$" } }, required: ["order_number"] }));
    await form.getByLabel("Remove X-Trace").check();
    await form.getByLabel("Set or replace headers").fill("X-Api-Key: new-secret");
    await form.getByLabel("Response fields").fill("api_key\nmethod");
    await form.getByLabel("Trigger phrases").fill("where is my parcel\nparcel status");
    await form.getByLabel("Trigger patterns").fill("order_number: \\b(\\d{4})\\b");
    await form.getByLabel("Answer template").fill("Order {order_number}: received with {method}.");
    await form.getByLabel("Time limit (ms)").fill("5000");
    await form.getByLabel("Changes something").check();
    await form.getByLabel("Only for verified visitors").check();
    await form.getByLabel("Enabled").uncheck();
    await form.getByRole("button", { name: "Save changes" }).click();
    await admin.getByRole("heading", { name: "Edit find_order" }).waitFor();
    await admin.getByText("Changes saved.").waitFor();

    const saved = await api("GET", `/actions/${created.id}`, { token });
    expect(saved).toMatchObject({
      name: "find_order",
      description: "Finds an order and says what the shop received",
      method: "POST",
      url: `${fake()}/echo/${key}/{order_number}`,
      parameters: { type: "object", properties: { order_number: { type: "string", pattern: "^\\d{4}$" } }, required: ["order_number"] },
      headers_set: ["X-Api-Key"],
      response_fields: ["api_key", "method"],
      mutating: true,
      requires_verified: true,
      triggers: { phrases: ["where is my parcel", "parcel status"], patterns: { order_number: "\\b(\\d{4})\\b" } },
      answer_template: "Order {order_number}: received with {method}.",
      timeout_ms: 5000,
      enabled: false,
    });
    // Switched off, it does not run; switched on, the shop receives the new method and a key
    // (its value redacted from what is shown, as every header value is).
    const test = () => api("POST", `/actions/${created.id}/test`, { token, body: { arguments: { order_number: "1042" }, identity: { user_id: "cust-1" } } });
    expect(await test()).toMatchObject({ status: "failed", error: expect.stringMatching(/switched off/) });
    await api("PATCH", `/actions/${created.id}`, { token, body: { enabled: true } });
    expect(await test()).toMatchObject({ status: "done", result: { api_key: "[redacted]", method: "POST" } });
    // The form shows what was saved; the removed header is gone from it.
    expect(await form.getByLabel("Name", { exact: true }).inputValue()).toBe("find_order");
    expect(await form.getByLabel("Remove X-Api-Key").count()).toBe(1);
    expect(await form.getByLabel("Remove X-Trace").count()).toBe(0);
    expect(await admin.content()).not.toContain("new-secret");
  });

  it("lets an admin refresh an MCP server's tools and remove it, and shows the API's error when it is gone", async () => {
    const key = scenario();
    const server = await connect(key);
    await go(admin);
    const servers = admin.getByRole("list", { name: "Connected MCP servers" });
    const item = servers.locator(`li[data-server="${server.id}"]`);
    await expect.poll(() => item.innerText()).toContain("2 tools: cancel_order, get_order_status");
    expect(await violations(admin), "servers listed").toEqual([]);

    // The server gains a tool: a refresh lists it and makes it an action.
    await fetch(`${fake()}/__mcp/${key}/add-tool`, { method: "POST" });
    await admin.getByRole("button", { name: "Refresh tools of acme-orders" }).click();
    await admin.getByText("MCP server refreshed; its tools are listed again.").waitFor();
    await expect.poll(() => item.innerText()).toContain("3 tools: cancel_order, get_order_status, track_parcel");
    const listed = await api("GET", `/assistants/${assistantId}/mcp-servers`, { token });
    expect(listed.data[0].actions.map((a: { name: string }) => a.name)).toEqual(["cancel_order", "get_order_status", "track_parcel"]);
    await admin.getByRole("row", { name: /track_parcel/ }).waitFor();

    await admin.getByRole("button", { name: "Remove acme-orders" }).click();
    await admin.getByText("MCP server removed, with its actions.").waitFor();
    await admin.getByText("No MCP server connected").waitFor();
    expect((await api("GET", `/assistants/${assistantId}/mcp-servers`, { token })).data).toEqual([]);
    expect((await api("GET", `/assistants/${assistantId}/actions`, { token })).data.filter((a: { kind: string }) => a.kind === "mcp")).toEqual([]);
    expect(await admin.getByRole("row", { name: /track_parcel/ }).count()).toBe(0);

    // Removed elsewhere while the page was open: the refresh says so, by the list.
    const other = await connect(scenario());
    await go(admin);
    await admin.getByRole("button", { name: "Refresh tools of acme-orders" }).waitFor();
    await api("DELETE", `/mcp-servers/${other.id}`, { token });
    await admin.getByRole("button", { name: "Refresh tools of acme-orders" }).click();
    const alert = admin.locator("section[aria-labelledby=mcp-servers-heading] [role=alert]");
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/not found/i);
    expect(await violations(admin), "refresh error").toEqual([]);
  });

  it("shows a manager the actions and servers, with nothing to change them", async () => {
    await connect(scenario());
    const invite = await api("POST", "/team/invites", { token, body: { email: uniqueEmail("manager"), role: "manager" } });
    const manager = await (await browser.newContext()).newPage();
    await manager.goto(`${inject("dashboardUrl")}/invite/${invite.token}`);
    await manager.getByLabel("Password").fill(PASSWORD);
    await manager.getByRole("button", { name: "Join workspace" }).click();
    await manager.waitForURL("**/overview");

    const action = await api("POST", `/assistants/${assistantId}/actions`, { token, body: { name: "order_history", url: `${fake()}/orders/1042` } });
    await go(manager, `?edit=${action.id}`);
    await manager.getByRole("list", { name: "Connected MCP servers" }).getByText("acme-orders").first().waitFor();
    await manager.getByRole("region", { name: "Actions", exact: true }).getByRole("row", { name: /order_history/ }).first().waitFor();
    expect(await manager.getByRole("link", { name: /^Edit / }).count()).toBe(0);
    expect(await manager.getByRole("heading", { name: /^Edit / }).count()).toBe(0);
    expect(await manager.getByRole("button", { name: /Refresh tools|Remove/ }).count()).toBe(0);
    await manager.getByText("Only admins change actions.").waitFor();
    await manager.context().close();
  });
});
