/**
 * The agent's live view in real Chromium: saved replies managed on their page and inserted in
 * the reply box with `/` (keyboard only, variables filled), then sent; and the actions an answer
 * runs shown in the message list as their socket events arrive.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { analyzeAccessibility } from "../../e2e/axe";
import { api, launchChromium, signUpInBrowser } from "./support";

/** A conversation of a fresh workspace, with the visitor's name given and one question asked. */
async function conversationWithVisitor(token: string) {
  const assistant = await api<{ id: string }>("POST", "/assistants", { token, body: { name: "Nova" } });
  const conv = await api<{ conversation_id: string; token: string }>("POST", "/conversations", {
    token,
    body: { assistant_id: assistant.id, visitor_id: "visitor-maya", channel: "api", metadata: { name: "Maya" } },
  });
  await api("POST", `/conversations/${conv.conversation_id}/messages`, { token: conv.token, body: { content: "Can someone help me with my order?" } });
  return conv.conversation_id;
}

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

async function violations(page: Page) {
  const result = await analyzeAccessibility(page, WCAG_TAGS);
  return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
}

async function openLive(page: Page, conversationId: string) {
  await page.goto(`${inject("dashboardUrl")}/conversations/${conversationId}`);
  await page.locator('[data-connection="live"]').waitFor();
}

describe("the agent's live conversation view", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("inserts a saved reply with `/`, its variables filled, and sends it; the use is counted", async () => {
    const dashboard = inject("dashboardUrl");
    const { page, token } = await signUpInBrowser(browser, "Replies Co");
    const conversationId = await conversationWithVisitor(token);

    // Managers keep saved replies on their page.
    await page.goto(`${dashboard}/saved-replies`);
    for (const [title, body] of [
      ["Greeting", "Hi {{visitor.name}}, this is {{assistant.name}}. Your conversation: {{conversation.link}}"],
      ["Goodbye", "Thanks for writing, {{visitor.name}}!"],
    ] as const) {
      await page.getByLabel("Title").first().fill(title);
      await page.getByLabel("Text").first().fill(body);
      await page.getByRole("button", { name: "Save reply" }).click();
      await page.locator(`[data-saved-reply]`, { hasText: title }).waitFor();
    }
    expect(await violations(page)).toEqual([]);

    await openLive(page, conversationId);
    const box = page.getByLabel(/Reply as an agent/);
    const list = page.getByRole("listbox", { name: "Saved replies" });
    await box.click();

    // `/` opens the list; Escape closes it.
    await page.keyboard.type("/");
    await list.waitFor();
    expect(await list.getByRole("option").allInnerTexts()).toEqual([expect.stringMatching(/^Goodbye/), expect.stringMatching(/^Greeting/)]);
    expect(await box.getAttribute("aria-controls")).toBe(await list.getAttribute("id"));
    await page.keyboard.press("Escape");
    await list.waitFor({ state: "detached" });
    await box.fill("");

    // Typing narrows it; arrows move through it; Enter inserts the chosen one, filled.
    await page.keyboard.type("/g");
    await list.waitFor();
    const active = async () => page.locator(`[id="${await box.getAttribute("aria-activedescendant")}"]`).innerText();
    expect(await active()).toMatch(/^Goodbye/);
    await page.keyboard.press("ArrowDown");
    expect(await active()).toMatch(/^Greeting/);
    expect(await list.getByRole("option", { selected: true }).innerText()).toMatch(/^Greeting/);
    expect(await violations(page)).toEqual([]);
    await page.keyboard.press("Enter");
    await list.waitFor({ state: "detached" });
    await expect.poll(() => box.inputValue()).toMatch(/^Hi Maya, this is Nova\. Your conversation: \S+\/conversations\/conv_/);
    expect(await box.inputValue()).toContain(`/conversations/${conversationId}`);

    // The agent edits it and sends it.
    await page.keyboard.type(" Which order is it?");
    await page.getByRole("button", { name: "Take over and reply" }).click();
    const sent = page.locator('li[data-sender="human_agent"]', { hasText: "Which order is it?" });
    await sent.waitFor();
    expect(await sent.locator(".message-body").innerText()).toMatch(/^Hi Maya, this is Nova\. Your conversation: .*\/conversations\/conv_\S+ Which order is it\?$/);

    const messages = await api<{ data: { sender_type: string; content: string }[] }>("GET", `/conversations/${conversationId}/messages?limit=100`, { token });
    expect(messages.data.at(-1)).toMatchObject({ sender_type: "human_agent", content: expect.stringMatching(/^Hi Maya, this is Nova\./) });
    const replies = await api<{ data: { title: string; use_count: number }[] }>("GET", "/saved-replies", { token });
    expect(replies.data.map((r) => [r.title, r.use_count])).toEqual([
      ["Greeting", 1],
      ["Goodbye", 0],
    ]);
    await page.context().close();
  });

  it("shows an answer's action calls and confirmation requests in the message list as they happen", async () => {
    const { page, token } = await signUpInBrowser(browser, "Tools Co");
    const conversationId = await conversationWithVisitor(token);
    // The platform's socket, with an action's server events added on the way (their API.md shape).
    let toPage: ((event: object) => void) | null = null;
    await page.routeWebSocket(/\/ws\b/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => ws.send(m));
      toPage = (event) => ws.send(JSON.stringify(event));
    });
    await openLive(page, conversationId);
    const call = (id: string) => page.locator(`li[data-live-tool="${id}"]`);

    toPage!({ type: "tool", call_id: "call_live_1", name: "lookup_order", status: "running" });
    await call("call_live_1").waitFor();
    expect(await call("call_live_1").innerText()).toMatch(/Action · running…[\s\S]*lookup_order/);
    toPage!({ type: "tool", call_id: "call_live_1", name: "lookup_order", status: "done" });
    await expect.poll(() => call("call_live_1").getAttribute("data-status")).toBe("done");

    toPage!({ type: "confirm_request", call_id: "call_live_2", name: "cancel_order", summary: "Cancel order 1042" });
    await call("call_live_2").waitFor();
    expect(await call("call_live_2").innerText()).toMatch(/waiting for the visitor to confirm[\s\S]*cancel_order[\s\S]*Cancel order 1042/);
    toPage!({ type: "tool", call_id: "call_live_2", name: "cancel_order", status: "failed" });
    await expect.poll(() => call("call_live_2").getAttribute("data-status")).toBe("failed");
    expect(await call("call_live_2").innerText()).toContain("Cancel order 1042");

    // The calls sit in the message list, after the visitor's question, in the order they started.
    const items = page.locator("ol.messages > li");
    const kinds = await items.evaluateAll((lis) => lis.map((li) => li.getAttribute("data-live-tool") ?? li.getAttribute("data-sender")));
    expect(kinds.slice(kinds.indexOf("visitor"))).toEqual(expect.arrayContaining(["visitor", "call_live_1", "call_live_2"]));
    expect(kinds.indexOf("call_live_1")).toBeLessThan(kinds.indexOf("call_live_2"));
    expect(kinds.indexOf("visitor")).toBeLessThan(kinds.indexOf("call_live_1"));

    // The stored answer that ran them replaces them with its own record of the calls.
    const messages = await api<{ data: Record<string, unknown>[] }>("GET", `/conversations/${conversationId}/messages?limit=100`, { token });
    const answer = messages.data.at(-1)!;
    toPage!({
      type: "response",
      message: {
        ...answer,
        id: "msg_liveToolsAnswer0001",
        seq: Number(answer.seq) + 1,
        content: "Order 1042 is on its way; I could not cancel it.",
        tool_calls: [
          { call_id: "call_live_1", action_id: "act_liveToolsLookup0001", name: "lookup_order", status: "done", arguments: { order_number: "1042" }, result: { status: "shipped" } },
          { call_id: "call_live_2", action_id: "act_liveToolsCancel0001", name: "cancel_order", status: "failed", arguments: { order_number: "1042" }, result: null, error: "already shipped" },
        ],
      },
    });
    await page.locator('li[data-message="msg_liveToolsAnswer0001"] .tool-calls').waitFor();
    await call("call_live_1").waitFor({ state: "detached" });
    await call("call_live_2").waitFor({ state: "detached" });
    await page.context().close();
  });
});
