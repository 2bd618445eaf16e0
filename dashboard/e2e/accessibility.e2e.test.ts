/**
 * Every page of the dashboard, with content in it, checked by axe-core for WCAG 2.1 A and AA,
 * on a desktop and on a phone-sized screen.
 */
import { analyzeAccessibility } from "../../e2e/axe";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { api, launchChromium, signUpInBrowser, uniqueEmail, waitForDocuments } from "./support";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const ORIGIN = "https://shop.example.com";

async function violations(page: Page) {
  const result = await analyzeAccessibility(page, WCAG_TAGS);
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}

/** Every signed-in page, with content in it, by the ids of what `beforeAll` created. */
const SIGNED_IN_PAGES: readonly (readonly [string, (ids: { conversation: string; assistant: string; document: string; action: string }) => string])[] = [
  ["overview", () => "/overview"],
  ["conversations", () => "/conversations"],
  ["a conversation", (ids) => `/conversations/${ids.conversation}`],
  ["knowledge search", (ids) => `/knowledge?assistant=${ids.assistant}&q=shipping`],
  ["a document", (ids) => `/knowledge/${ids.document}`],
  ["assistants", () => "/assistants"],
  ["an assistant", (ids) => `/assistants/${ids.assistant}`],
  ["an assistant's actions", (ids) => `/assistants/${ids.assistant}/actions`],
  ["an action's edit form", (ids) => `/assistants/${ids.assistant}/actions?edit=${ids.action}`],
  ["analytics", () => "/analytics"],
  ["API keys", () => "/api-keys"],
  ["team", () => "/team"],
  ["integrations", () => "/integrations"],
  ["audit log", () => "/audit-log"],
  // Billing is not configured on the test Worker: the page's friendly state, and the
  // confirmation shown when Stripe sends the admin back.
  ["billing", () => "/billing"],
  ["billing after checkout", () => "/billing?checkout=success&session_id=cs_test_a11y"],
  ["settings", () => "/settings"],
  ["account", () => "/account"],
  // The test Worker names no operator workspace: the page's state for everyone else.
  ["system health", () => "/system-health"],
];

describe("accessibility", () => {
  let browser: Browser;
  let admin: Page;
  let ids: { conversation: string; assistant: string; document: string; action: string };

  beforeAll(async () => {
    browser = await launchChromium();
    const owner = await signUpInBrowser(browser, "Axe Co");
    admin = owner.page;
    const token = owner.token;
    // Content on every page: an assistant, a ready document, a conversation with an answer,
    // an escalation, an action with a test call, an MCP server, keys, an invitation, integration settings, audit entries.
    const assistant = await api("POST", "/assistants", { token, body: { name: "Helper", allowed_origins: [ORIGIN] } });
    const shipping = await api("POST", `/assistants/${assistant.id}/documents`, {
      token,
      body: { title: "Shipping", content: "Standard shipping takes 3 to 5 business days. Express arrives the next day." },
    });
    await waitForDocuments(token, assistant.id, 1);
    await api("POST", `/documents/${shipping.id}/phrasings`, { token, body: { text: "When will my order arrive?" } });
    const pk = await api("POST", "/api-keys", { token, body: { name: "Widget", type: "publishable", assistant_id: assistant.id } });
    await api("POST", "/api-keys", { token, body: { name: "Server", scope: "viewer" } });
    const conv = await api("POST", "/conversations", {
      token: pk.key,
      headers: { origin: ORIGIN },
      body: { assistant_id: assistant.id, visitor_id: "visitor-a11y", channel: "web" },
    });
    await api("POST", `/conversations/${conv.conversation_id}/messages`, { token: conv.token, body: { content: "How long does shipping take?" } });
    await api("POST", `/conversations/${conv.conversation_id}/messages`, { token: conv.token, body: { content: "I want to speak to a human" } });
    const lookup = await api("POST", `/assistants/${assistant.id}/actions`, {
      token,
      body: {
        name: "lookup_order",
        description: "Looks up an order",
        url: "https://orders.demo.invalid/orders/{number}",
        parameters: { type: "object", properties: { number: { type: "string" } }, required: ["number"] },
        headers: { Authorization: "Bearer x" },
        requires_verified: true,
      },
    });
    await api("POST", `/actions/${lookup.id}/test`, { token, body: { arguments: { number: "1042" } } });
    await api("POST", `/assistants/${assistant.id}/mcp-servers`, { token, body: { url: `${inject("fakeActionsUrl")}/mcp/a11y`, headers: { Authorization: "Bearer mcp-secret" } } });
    await api("POST", "/team/invites", { token, body: { email: uniqueEmail("invitee"), role: "manager" } });
    await api("PUT", "/integrations/slack", { token, body: { config: { team_id: "T1" }, secrets: { bot_token: "xoxb-1" } } });
    ids = { conversation: conv.conversation_id, assistant: assistant.id, document: shipping.id, action: lookup.id };
  });
  afterAll(async () => browser?.close());

  it("finds no WCAG 2.1 AA violation on the signed-out pages", async () => {
    const page = await (await browser.newContext()).newPage();
    for (const path of ["/login", "/signup", "/invite/ivt_example"]) {
      await page.goto(`${inject("dashboardUrl")}${path}`);
      expect(await violations(page), path).toEqual([]);
    }
    // Errors shown next to the fields are accessible too.
    await page.goto(`${inject("dashboardUrl")}/signup`);
    await page.getByLabel("Workspace name").fill("X");
    await page.getByLabel("Email").fill(uniqueEmail("x"));
    await page.getByLabel("Password").fill("longenough1");
    await page.evaluate(() => document.querySelector("input[name=password]")?.removeAttribute("minlength"));
    await page.getByLabel("Password").fill("short");
    await page.getByRole("button", { name: "Create workspace" }).click();
    await page.locator(".field-error").first().waitFor();
    expect(await page.getByLabel("Password").getAttribute("aria-invalid")).toBe("true");
    expect(await violations(page), "/signup with errors").toEqual([]);
  });

  // One test per page, so that a slow machine's time limit applies to each page, not to all.
  it.each(SIGNED_IN_PAGES)("finds no WCAG 2.1 AA violation on the signed-in page: %s", async (_name, pathOf) => {
    const path = pathOf(ids);
    await admin.goto(`${inject("dashboardUrl")}${path}`);
    await admin.waitForLoadState("networkidle");
    expect(await violations(admin), path).toEqual([]);
  });

  it("works on a phone-sized screen: no sideways scrolling, the menu opens, still no violations", async () => {
    await admin.setViewportSize({ width: 390, height: 844 });
    for (const path of SIGNED_IN_PAGES.map(([, pathOf]) => pathOf(ids))) {
      await admin.goto(`${inject("dashboardUrl")}${path}`);
      await admin.waitForLoadState("networkidle");
      const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${path} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(1);
    }
    await admin.goto(`${inject("dashboardUrl")}/overview`);
    expect(await admin.getByRole("navigation", { name: "Main", exact: true }).isVisible()).toBe(false);
    await admin.getByText("Menu").click();
    await admin.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Team" }).click();
    await admin.waitForURL("**/team");
    expect(await violations(admin), "/team on a phone").toEqual([]);
  });

  it("can be driven from the keyboard: skip link, then the main navigation", async () => {
    await admin.setViewportSize({ width: 1280, height: 900 });
    await admin.goto(`${inject("dashboardUrl")}/overview`);
    await admin.keyboard.press("Tab");
    expect(await admin.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await admin.keyboard.press("Enter");
    expect(await admin.evaluate(() => location.hash)).toBe("#main");
  });
});
