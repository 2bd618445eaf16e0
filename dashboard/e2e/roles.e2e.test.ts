/**
 * A viewer sees the workspace but cannot change it: the pages offer no admin actions, and the
 * dashboard's server refuses the same actions when posted directly.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { api, launchChromium, PASSWORD, signUpInBrowser, uniqueEmail } from "./support";

const ORIGIN = "https://shop.example.com";

describe("a viewer", () => {
  let browser: Browser;
  let viewer: Page;
  let adminToken: string;
  let assistantId: string;
  let conversationId: string;

  beforeAll(async () => {
    browser = await launchChromium();
    const owner = await signUpInBrowser(browser, "Roles Co");
    adminToken = owner.token;
    await owner.context.close();
    assistantId = (await api("POST", "/assistants", { token: adminToken, body: { name: "Helper", allowed_origins: [ORIGIN] } })).id;
    const pk = await api("POST", "/api-keys", { token: adminToken, body: { name: "w", type: "publishable", assistant_id: assistantId } });
    const conv = await api("POST", "/conversations", {
      token: pk.key,
      headers: { origin: ORIGIN },
      body: { assistant_id: assistantId, visitor_id: "v1", channel: "web", initial_message: "Hello?" },
    });
    conversationId = conv.conversation_id;

    // The viewer joins through the invitation link, in the browser.
    const invite = await api("POST", "/team/invites", { token: adminToken, body: { email: uniqueEmail("viewer"), role: "viewer" } });
    viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${inject("dashboardUrl")}/invite/${invite.token}`);
    await viewer.getByLabel("Password").fill(PASSWORD);
    await viewer.getByRole("button", { name: "Join workspace" }).click();
    await viewer.waitForURL("**/overview");
  });
  afterAll(async () => browser?.close());

  const go = (path: string) => viewer.goto(`${inject("dashboardUrl")}${path}`);

  it("is not offered admin pages or actions", async () => {
    await go("/overview");
    const nav = viewer.getByRole("navigation", { name: "Main", exact: true });
    await nav.getByRole("link").first().waitFor();
    const links = await nav.getByRole("link").allInnerTexts();
    expect(links).toEqual(["Overview", "Conversations", "Knowledge base", "Assistants", "Analytics", "Saved replies", "Team", "Settings"]);

    for (const path of ["/api-keys", "/integrations", "/audit-log", "/billing"]) {
      const res = await go(path);
      expect(res?.status()).toBe(403);
      await viewer.getByRole("heading", { name: "Not allowed" }).waitFor();
    }

    await go("/team");
    expect(await viewer.getByRole("heading", { name: "Invite someone" }).count()).toBe(0);
    expect(await viewer.getByRole("button", { name: /Remove/ }).count()).toBe(0);

    await go("/knowledge");
    expect(await viewer.getByLabel("Upload files").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Add article" }).count()).toBe(0);

    await go(`/assistants/${assistantId}`);
    expect(await viewer.getByRole("button", { name: "Save changes" }).count()).toBe(0);
    expect(await viewer.getByLabel("Name", { exact: true }).isDisabled()).toBe(true);
    expect(await viewer.getByRole("button", { name: "Delete assistant" }).count()).toBe(0);

    await go(`/conversations/${conversationId}`);
    await viewer.locator('li[data-sender="visitor"]').first().waitFor();
    expect(await viewer.getByRole("button", { name: /Take over|Resolve|Hand back/ }).count()).toBe(0);
    await viewer.getByText("replying needs the manager role").waitFor();

    await go("/settings");
    expect(await viewer.getByRole("button", { name: /Save settings|Close workspace/ }).count()).toBe(0);
  });

  it("is refused by the server when posting the admin forms directly", async () => {
    await go("/overview");
    const csrf = await viewer.locator('input[name="csrf"]').first().inputValue();
    const base = inject("dashboardUrl");
    const attempts: [string, Record<string, string>][] = [
      ["/api-keys", { intent: "create", type: "secret", name: "stolen", scope: "admin" }],
      ["/team", { intent: "invite", email: uniqueEmail("intruder"), role: "admin" }],
      ["/integrations", { type: "slack", "secrets.bot_token": "xoxb-evil" }],
      ["/settings", { intent: "save", name: "Pwned" }],
      ["/billing", { intent: "checkout", plan: "pro" }],
      ["/billing", { intent: "portal" }],
      ["/assistants", { name: "Rogue" }],
      [`/assistants/${assistantId}`, { intent: "delete" }],
      ["/knowledge", { intent: "add_text", assistant_id: assistantId, title: "Lies", content: "Everything is free." }],
      [`/conversations/${conversationId}`, { intent: "reply", content: "I am not an agent" }],
      [`/conversations/${conversationId}`, { intent: "resolve" }],
    ];
    for (const [path, fields] of attempts) {
      const res = await viewer.request.post(`${base}${path}`, { form: { csrf, ...fields }, headers: { Origin: base }, maxRedirects: 0 });
      expect(res.status(), `POST ${path}`).toBe(403);
    }

    // Nothing changed.
    expect((await api("GET", "/workspace", { token: adminToken })).name).toBe("Roles Co");
    expect((await api("GET", "/api-keys", { token: adminToken })).data.map((k: { name: string }) => k.name)).toEqual(["w"]);
    expect((await api("GET", "/assistants", { token: adminToken })).data).toHaveLength(1);
    expect((await api("GET", "/integrations/slack", { token: adminToken })).configured).toBe(false);
    expect((await api("GET", `/assistants/${assistantId}/documents`, { token: adminToken })).data).toEqual([]);
    const messages = await api("GET", `/conversations/${conversationId}/messages`, { token: adminToken });
    expect(messages.data.some((m: { sender_type: string }) => m.sender_type === "human_agent")).toBe(false);
    expect((await api("GET", `/conversations/${conversationId}`, { token: adminToken })).status).not.toBe("resolved");
  });

  it("cannot post without the page's CSRF token either", async () => {
    const base = inject("dashboardUrl");
    const res = await viewer.request.post(`${base}/logout`, { form: { csrf: "forged" }, headers: { Origin: base }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
  });
});
