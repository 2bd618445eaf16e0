/**
 * The whole loop in real Chromium against the running platform: sign up, build the knowledge
 * base, a visitor asks through the widget on a customer's site, the question shows up live in
 * the inbox, an agent takes over, the visitor gets the reply, the conversation is resolved and
 * the overview counts it.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { answers, ask, launcher, shopPage, startHostSite, type HostSite } from "../../widget/e2e/support";
import { api, launchChromium, signUpInBrowser, stat } from "./support";

const RETURNS_ARTICLE = `# Returns and refunds

You can return any unused e-bike within 30 days of delivery for a full refund.
Refunds are paid to the original payment method within 5 business days after we receive the bike.
`;

describe("running support from the dashboard", () => {
  let browser: Browser;
  let host: HostSite;

  beforeAll(async () => {
    browser = await launchChromium();
    host = await startHostSite();
  });
  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  it("signs up, uploads a document, watches a widget conversation live, takes over, resolves and sees the numbers change", async () => {
    const dashboard = inject("dashboardUrl");
    const apiUrl = inject("apiUrl");
    const { page: admin, token } = await signUpInBrowser(browser);
    expect(await stat(admin, "conversations")).toBe("0");

    // An assistant that may run on the customer's site.
    await admin.goto(`${dashboard}/assistants`);
    await admin.getByText("No assistants yet").waitFor();
    await admin.getByLabel("New assistant name").fill("Northwind support");
    await admin.getByRole("button", { name: "Create assistant" }).click();
    await admin.waitForURL(/\/assistants\/ast_/);
    const assistantId = admin.url().split("/").pop()!;
    await admin.getByLabel("Allowed origins").fill(host.origin);
    await admin.getByRole("button", { name: "Save changes" }).click();
    await admin.getByRole("status").filter({ hasText: "Saved." }).waitFor();

    // Its knowledge base: upload a file, watch it become ready.
    await admin.goto(`${dashboard}/knowledge?assistant=${assistantId}`);
    await admin.getByText("No documents yet").waitFor();
    await admin.getByLabel("Upload files").setInputFiles([{ name: "returns.md", mimeType: "text/markdown", buffer: Buffer.from(RETURNS_ARTICLE) }]);
    await admin.locator('[data-upload-state="queued"]').waitFor();
    const settled = admin.locator('tr[data-document][data-status="ready"], tr[data-document][data-status="failed"]');
    await settled.waitFor({ timeout: 60_000 }).catch(async (err: unknown) => {
      const docs = await api("GET", `/assistants/${assistantId}/documents`, { token });
      throw new Error(`the document did not settle: ${JSON.stringify(docs.data)} (${String(err)})`);
    });
    expect(await settled.getAttribute("data-status"), await settled.innerText()).toBe("ready");

    // The widget key, from the embed section of the assistant page.
    await admin.goto(`${dashboard}/assistants/${assistantId}`);
    await admin.getByRole("button", { name: "Create a widget key" }).click();
    await admin.getByText(/is in the snippet above/).waitFor();
    const snippet = await admin.getByTestId("embed-snippet").innerText();
    const publishableKey = /data-key="(pk_live_[^"]+)"/.exec(snippet)![1]!;
    expect(snippet).toContain(`data-assistant="${assistantId}"`);

    // The inbox is open before the visitor arrives.
    await admin.goto(`${dashboard}/conversations`);
    await admin.getByText("No conversations yet").waitFor();

    // A visitor on the customer's site asks through the widget, in a second page.
    host.setPage("/", shopPage({ apiUrl, accessToken: token, assistantId, publishableKey }));
    const visitorContext = await browser.newContext();
    const visitor = await visitorContext.newPage();
    await visitor.goto(`${host.origin}/`);
    await launcher(visitor).click();
    await answers(visitor).first().waitFor(); // the greeting: the chat is ready
    const answer = await ask(visitor, "How many days do I have to return my bike?");
    expect(answer).toMatch(/30 days/);

    // It appears in the inbox without a reload.
    const row = admin.locator("tr[data-conversation]").first();
    await row.waitFor({ timeout: 20_000 });
    await row.getByRole("link").click();
    await admin.waitForURL(/\/conversations\/conv_/);
    await admin.locator('[data-connection="live"]').waitFor();
    await messageFrom(admin, "visitor", "return my bike").waitFor();
    const aiAnswer = messageFrom(admin, "assistant", "30 days");
    await aiAnswer.waitFor();
    expect(await aiAnswer.locator(".message-meta").innerText()).toMatch(/confidence \d+%/);
    await aiAnswer.locator(".sources summary").click();
    expect(await aiAnswer.locator(".sources").innerText()).toMatch(/returns/i);

    // A new question arrives live over the WebSocket, answer streamed in.
    await ask(visitor, "How are refunds paid?");
    await messageFrom(admin, "visitor", "How are refunds paid").waitFor();
    await messageFrom(admin, "assistant", "original payment method").waitFor();

    // Take over and reply as a person; the visitor sees it in the widget.
    await admin.getByLabel(/Reply as an agent/).fill("Hi, this is Sam from Northwind. I can book the pickup for you.");
    await admin.getByRole("button", { name: "Take over and reply" }).click();
    await messageFrom(admin, "human_agent", "book the pickup").waitFor();
    await admin.getByRole("button", { name: "Hand back to AI" }).waitFor();
    await visitor.locator("#edgedesk-widget .m.mh", { hasText: "book the pickup" }).waitFor();

    // Resolve.
    await admin.getByRole("button", { name: "Resolve" }).click();
    await admin.locator("aside .badge-resolved").waitFor();

    // The overview counts the conversation and its answers.
    await expect
      .poll(
        async () => {
          await admin.goto(`${dashboard}/overview`);
          return [await stat(admin, "conversations"), await stat(admin, "resolution")];
        },
        { timeout: 20_000, interval: 1_000 },
      )
      .toEqual(["1", "100%"]);
    expect(Number((await stat(admin, "tokens")).replace(/,/g, ""))).toBeGreaterThan(0);
    await visitorContext.close();
  });
});

function messageFrom(page: Page, sender: string, text: string) {
  return page.locator(`li[data-sender="${sender}"]`, { hasText: text }).first();
}
