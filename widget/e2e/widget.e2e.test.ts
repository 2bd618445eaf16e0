/**
 * The widget in real headless Chromium against the running platform (`wrangler dev`, started by
 * e2e/global-setup.ts after building the widget). The host pages live on their own origin, so the
 * widget runs cross-origin exactly as on a customer's site.
 * Over 400 lines: one browser session and seeded workspace serve every journey, which is what
 * keeps this suite's start-up cost paid once.
 */
import { analyzeAccessibility } from "../../e2e/axe";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  adminApi,
  answers,
  ask,
  focusedInWidget,
  getNet,
  input,
  launchChromium,
  launcher,
  LOADER_PATH,
  NETWORK_CONTROLS,
  seedWorkspace,
  setNet,
  shopPage,
  startHostSite,
  transcript,
  type HostSite,
  type Seeded,
} from "./support";

const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];
const QUESTION = "How long does delivery take?";

let browser: Browser;
let site: HostSite;
let seeded: Seeded;

beforeAll(async () => {
  site = await startHostSite();
  const apiUrl = inject("apiUrl");
  [browser, seeded] = await Promise.all([launchChromium(), seedWorkspace(apiUrl, [site_origin()])]);
  site.setPage("/", shopPage(seeded));
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

function site_origin() {
  return site.origin;
}

async function openPage(path = "/", context?: BrowserContext, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const ctx = context ?? (await browser.newContext({ viewport }));
  const page = await ctx.newPage();
  page.on("pageerror", (err) => console.error("page error:", err));
  await page.goto(`${site.origin}${path}`);
  await launcher(page).waitFor({ state: "visible" });
  return page;
}

async function conversationId(page: Page): Promise<string> {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? "{}").conversation.id as string, `edgedesk:${seeded.assistantId}`);
}

async function storedMessages(id: string) {
  const res = await adminApi<{ data: { sender_type: string; content: string; status: string; client_id: string | null; tool_calls?: unknown[] }[] }>(
    seeded,
    "GET",
    `/conversations/${id}/messages?limit=100`,
  );
  return res.data;
}

describe("the widget in a browser", () => {
  it("opens from the launcher, streams an answer and shows its sources as chips", async () => {
    const page = await openPage();
    expect(await launcher(page).getAttribute("aria-expanded")).toBe("false");
    await launcher(page).click();
    await input(page).waitFor();
    expect(await focusedInWidget(page)).toBe("textarea#ed-input");
    expect(await launcher(page).getAttribute("aria-expanded")).toBe("true");

    const deltas: number[] = [];
    page.on("websocket", (ws) =>
      ws.on("framereceived", (f) => {
        if (String(f.payload).includes('"type":"delta"')) deltas.push(Date.now());
      }),
    );
    const text = await ask(page, QUESTION);
    expect(text).toMatch(/2 to 4 working days/);
    // Greeting, question, answer: in that order.
    const order = await page.locator("#edgedesk-widget [role=log] > .m").evaluateAll((els) => els.map((e) => e.className));
    expect(order).toEqual(["m ma", "m mv", "m ma"]);
    expect(deltas.length).toBeGreaterThan(1); // streamed, not one block
    const chips = answers(page).last().locator(".src .chip");
    expect(await chips.count()).toBeGreaterThan(0);
    expect(await chips.first().innerText()).toMatch(/Shipping and returns/);
    await chips.first().click();
    expect(await answers(page).last().locator(".snip").innerText()).toMatch(/\S/);
    expect(await chips.first().getAttribute("aria-expanded")).toBe("true");
    // One polite announcement of the finished answer, and the log is no longer busy.
    expect(await transcript(page).getAttribute("aria-busy")).toBe("false");
    await expect.poll(() => page.locator("#edgedesk-widget [aria-live=polite]").innerText()).toMatch(/^Assistant: .*2 to 4 working days/);
    await page.context().close();
  });

  it("keeps the conversation across a reload and across tabs", async () => {
    const context = await browser.newContext();
    const page = await openPage("/", context);
    await launcher(page).click();
    await ask(page, QUESTION);
    await page.reload();
    // The panel was open: it reopens on the next page, with the history.
    await answers(page).nth(1).waitFor();
    expect(await transcript(page).innerText()).toContain(QUESTION);
    expect(await answers(page).nth(1).innerText()).toMatch(/2 to 4 working days/);

    const other = await context.newPage();
    await other.goto(`${site.origin}/`);
    await launcher(other).click();
    await answers(other).nth(1).waitFor();
    const answer = await ask(other, "Can I return my bike?");
    expect(answer).toMatch(/30 days/);
    // The first tab sees the second tab's question and answer live.
    await expect.poll(() => transcript(page).innerText()).toContain("Can I return my bike?");
    await expect.poll(() => answers(page).count()).toBe(3);
    await context.close();
  });

  it("resumes an answer cut off mid-stream: the complete text, nothing doubled", async () => {
    const context = await browser.newContext();
    await context.addInitScript(NETWORK_CONTROLS);
    const page = await openPage("/", context);
    await launcher(page).click();
    await setNet(page, { cutAfterDelta: true }); // the network drops right after the first token
    await input(page).fill(QUESTION);
    await input(page).press("Enter");
    await expect.poll(async () => (await getNet(page)).cuts).toBe(1);
    // The widget reconnects on its own, resumes, and the answer ends complete.
    await expect.poll(async () => (await getNet(page)).opened, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => answers(page).nth(1).getAttribute("data-status"), { timeout: 20_000 }).toBe("complete");
    const text = await answerWords(page, 1);
    const stored = await storedMessages(await conversationId(page));
    expect(stored.map((m) => m.sender_type)).toEqual(["visitor", "assistant"]);
    expect(await answers(page).count()).toBe(2); // the greeting and one answer
    expect(normalise(text)).toBe(normalise(stored[1]!.content));
    expect(await page.locator("#edgedesk-widget .m.mv").count()).toBe(1);
    await context.close();
  });

  it("queues messages while offline and sends each once when the network flaps", async () => {
    const context = await browser.newContext();
    await context.addInitScript(NETWORK_CONTROLS);
    const page = await openPage("/", context);
    await launcher(page).click();
    // The first acknowledgement is lost with its connection: the message did reach the server,
    // the page never heard, and sends it again with the same client id.
    await setNet(page, { dropNextAck: true });
    await ask(page, "What does the warranty cover?");
    const net = await getNet(page);
    expect(net.dropped, `frames: ${net.log.join(" | ")}`).toBe(1);

    // The network goes away: sockets are cut, new ones cannot connect, the browser is offline.
    await setNet(page, { blocked: true, cutAll: true });
    await context.setOffline(true);
    await input(page).fill("How do I track my order?");
    await input(page).press("Enter");
    const pending = page.locator("#edgedesk-widget .m.mv").last();
    await expect.poll(() => page.locator("#edgedesk-widget .bn").innerText()).toMatch(/offline/i);
    expect(await pending.getAttribute("data-status")).toBe("sending");
    expect(await pending.locator(".note").innerText()).toMatch(/Waiting for the connection/);

    // Back online: the queued message goes out once and is answered once.
    await setNet(page, { blocked: false });
    await context.setOffline(false);
    await expect.poll(() => pending.getAttribute("data-status"), { timeout: 30_000 }).toBe("sent");
    await expect.poll(() => answers(page).count(), { timeout: 20_000 }).toBe(3);
    await expect.poll(() => page.locator("#edgedesk-widget .bn").count()).toBe(0);

    const stored = await storedMessages(await conversationId(page));
    const visitor = stored.filter((m) => m.sender_type === "visitor").map((m) => m.content);
    expect(visitor).toEqual(["What does the warranty cover?", "How do I track my order?"]);
    expect(stored.filter((m) => m.sender_type === "assistant")).toHaveLength(2);
    expect(await page.locator("#edgedesk-widget .m.mv").count()).toBe(2);
    await context.close();
  });

  it("can be used with the keyboard alone, and traps nothing when closed", async () => {
    const page = await openPage();
    // From the top of the page, Tab reaches the launcher after the page's own links.
    await page.keyboard.press("Tab"); // skip link
    await page.keyboard.press("Tab"); // back-to-top link
    await page.keyboard.press("Tab");
    expect(await focusedInWidget(page)).toBe("button.l");
    await page.keyboard.press("Enter");
    await input(page).waitFor();
    expect(await focusedInWidget(page)).toBe("textarea#ed-input");
    await page.keyboard.type("Can I return my bike?");
    await page.keyboard.press("Enter");
    await answers(page).nth(1).locator(".src .chip").first().waitFor();
    // Shift+Tab walks back from the input: attach button, then the transcript (scrollable, focusable).
    await page.keyboard.press("Shift+Tab");
    expect(await focusedInWidget(page)).toMatch(/^button\.ib/);
    await page.keyboard.press("Shift+Tab");
    // A source chip is reachable and opens with the keyboard.
    let reachedChip = false;
    for (let i = 0; i < 6 && !reachedChip; i++) {
      reachedChip = (await focusedInWidget(page))?.includes("chip") ?? false;
      if (!reachedChip) await page.keyboard.press("Shift+Tab");
    }
    expect(reachedChip).toBe(true);
    await page.keyboard.press("Enter");
    expect(await answers(page).nth(1).locator(".snip").count()).toBe(1);
    // Escape closes and gives focus back to the launcher.
    await page.keyboard.press("Escape");
    expect(await page.locator("#edgedesk-widget .p").count()).toBe(0);
    expect(await focusedInWidget(page)).toBe("button.l");
    // Closed, the widget holds one stop: Tab leaves it for the page.
    await page.keyboard.press("Tab");
    expect(await focusedInWidget(page)).toBeNull();
    // Focus is visible on the launcher.
    await page.keyboard.press("Shift+Tab");
    const outline = await launcher(page).evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).toBe("solid");
    await page.context().close();
  });

  it("reports no WCAG 2.1 A/AA violations closed and open, with a light primary colour too", async () => {
    for (const color of ["#2557d6", "#ffd400", "#7a7a7a"]) {
      site.setPage(`/axe-${color.slice(1)}`, shopPage(seeded, { color }));
      const page = await openPage(`/axe-${color.slice(1)}`);
      const closed = await analyzeAccessibility(page, WCAG_TAGS);
      expect(closed.violations, `${color} closed: ${JSON.stringify(closed.violations, null, 1)}`).toEqual([]);
      await launcher(page).click();
      await ask(page, QUESTION);
      await answers(page).last().locator(".src .chip").first().click();
      const open = await analyzeAccessibility(page, WCAG_TAGS);
      expect(open.violations, `${color} open: ${JSON.stringify(open.violations, null, 1)}`).toEqual([]);
      await page.context().close();
    }
  });

  it("shows an action's progress and a confirmation card that is keyboard usable, announced and accessible", async () => {
    // The platform's socket, with server events of an action added on the way (their API.md shape).
    const page = await (await browser.newContext()).newPage();
    const confirms: unknown[] = [];
    let toWidget: ((event: object) => void) | null = null;
    await page.routeWebSocket(/\/ws\b/, (ws) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        const frame = JSON.parse(String(m)) as { type: string };
        if (frame.type === "confirm") confirms.push(frame);
        else server.send(m);
      });
      server.onMessage((m) => ws.send(m));
      toWidget = (event) => ws.send(JSON.stringify(event));
    });
    await page.goto(`${site.origin}/`);
    await launcher(page).click();
    await ask(page, QUESTION);
    toWidget!({ type: "tool", call_id: "call_e2e_1", name: "lookup_order", status: "running" });
    await expect.poll(() => page.locator("#edgedesk-widget .tl").first().textContent()).toBe("Working on it: lookup order…");
    toWidget!({ type: "confirm_request", call_id: "call_e2e_2", name: "cancel_order", summary: "Cancel order 1042" });
    const card = page.locator("#edgedesk-widget .cf");
    await card.waitFor();
    await expect.poll(() => page.evaluate(() => document.getElementById("edgedesk-widget")!.shadowRoot!.activeElement?.className)).toBe("cf");
    expect(await page.locator("#edgedesk-widget [aria-live=assertive]").textContent()).toBe("Please confirm: Cancel order 1042");
    const open = await analyzeAccessibility(page, WCAG_TAGS);
    expect(open.violations, JSON.stringify(open.violations, null, 1)).toEqual([]);
    await page.keyboard.press("Tab"); // from the card to its first button
    await page.keyboard.press("Enter");
    await expect.poll(() => confirms).toEqual([{ type: "confirm", call_id: "call_e2e_2", approve: true }]);
    await expect.poll(() => card.textContent()).toContain("Approved.");
    const answered = await analyzeAccessibility(page, WCAG_TAGS);
    expect(answered.violations, JSON.stringify(answered.violations, null, 1)).toEqual([]);
    await page.context().close();
  });

  it("shows the calls a stored answer ran after a reload, as the live answer showed them", async () => {
    // A procedure: the phrase and the order number run the lookup against the shop's (fake) order API, no model involved.
    const lookup = await adminApi<{ id: string }>(seeded, "POST", `/assistants/${seeded.assistantId}/actions`, {
      name: "lookup_order",
      description: "Status of an order",
      url: `${inject("fakeActionsUrl")}/orders/{order_number}`,
      parameters: { type: "object", properties: { order_number: { type: "string" } }, required: ["order_number"] },
      response_fields: ["status", "carrier"],
      triggers: { phrases: ["where is my order"], patterns: { order_number: "\\b(\\d{4})\\b" } },
      answer_template: "Order {order_number} is {status} with {carrier}.",
    });
    try {
      const page = await openPage("/", await browser.newContext());
      await launcher(page).click();
      expect(await ask(page, "Where is my order 1042?")).toBe("Order 1042 is shipped with DHL.");
      const line = answers(page).last().locator(".tl");
      await expect.poll(() => line.allTextContents()).toEqual(["Done: lookup order"]);
      const stored = await storedMessages(await conversationId(page));
      expect(stored.at(-1)).toMatchObject({ sender_type: "assistant", tool_calls: [{ action_id: lookup.id, name: "lookup_order", status: "done" }] });

      await page.reload();
      await answers(page).nth(1).waitFor();
      await expect.poll(() => answers(page).last().locator(".tl").allTextContents()).toEqual(["Done: lookup order"]);
      expect(await answers(page).last().locator(".tl").getAttribute("data-status")).toBe("done");
      expect(await answers(page).last().locator(".bb").innerText()).toBe("Order 1042 is shipped with DHL.");
      const axe = await analyzeAccessibility(page, WCAG_TAGS);
      expect(axe.violations, JSON.stringify(axe.violations, null, 1)).toEqual([]);
      await page.context().close();
    } finally {
      await adminApi(seeded, "DELETE", `/actions/${lookup.id}`);
    }
  });

  it("takes the whole screen at 320 px wide and at 200% zoom, with nothing cut off, and keeps still for reduced motion", async () => {
    for (const viewport of [
      { width: 320, height: 640 },
      { width: 640, height: 400 }, // a 1280×800 window at 200% zoom
    ]) {
      const page = await openPage("/", undefined, viewport);
      await launcher(page).click();
      await ask(page, QUESTION);
      const panel = await page.locator("#edgedesk-widget .p").boundingBox();
      expect(panel).toEqual({ x: 0, y: 0, width: viewport.width, height: viewport.height });
      const box = await input(page).boundingBox();
      expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
      const overflow = await page.evaluate(() => {
        const root = document.getElementById("edgedesk-widget")!.shadowRoot!;
        return [...root.querySelectorAll(".p *")].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1).length;
      });
      expect(overflow).toBe(0);
      // Reduced motion: the panel appears without animating.
      await page.emulateMedia({ reducedMotion: "reduce" });
      expect(await page.locator("#edgedesk-widget .p").evaluate((el) => getComputedStyle(el).animationName)).toBe("none");
      const close = page.locator("#edgedesk-widget .p [aria-label='Close chat']");
      expect(await close.isVisible()).toBe(true);
      await close.click();
      expect(await focusedInWidget(page)).toBe("button.l");
      await page.context().close();
    }
  });

  it("is not broken by a hostile page stylesheet, and does not restyle the page", async () => {
    const hostile = `<style>
      * { all: unset !important; }
      html { font-size: 64px !important; } body { font-size: 48px !important; line-height: 4 !important; color: rgb(200, 0, 0) !important; }
      div, button, textarea, p { display: block !important; position: static !important; font-family: serif !important; }
      button { display: none !important; }
    </style>`;
    site.setPage("/hostile", shopPage(seeded, {}, { head: hostile, body: "<p id='probe'>page text</p><button id='pagebtn'>page</button>" }));
    const page = await openPage("/hostile");
    const before = await page.locator("#probe").evaluate((el) => getComputedStyle(el).fontSize);
    const size = await launcher(page).boundingBox();
    expect(size).toMatchObject({ width: 56, height: 56 });
    await launcher(page).click();
    await ask(page, QUESTION);
    const panel = await page.locator("#edgedesk-widget .p").boundingBox();
    expect(panel!.width).toBe(380);
    const font = await input(page).evaluate((el) => getComputedStyle(el).fontSize);
    expect(font).toBe("15px");
    expect(await page.locator("#edgedesk-widget .send").isVisible()).toBe(true);
    // The widget's styles stay in its shadow root.
    expect(await page.locator("#probe").evaluate((el) => getComputedStyle(el).fontSize)).toBe(before);
    expect(await page.locator("#pagebtn").evaluate((el) => getComputedStyle(el).display)).toBe("none");
    await page.context().close();
  });

  it("shows the human hand-off: waiting, the agent joining, their reply, then the rating", async () => {
    const page = await openPage();
    await launcher(page).click();
    await ask(page, "I want to talk to a human please");
    await expect.poll(() => page.locator("#edgedesk-widget .st").innerText()).toMatch(/asked a person/);
    const id = await conversationId(page);
    await adminApi(seeded, "POST", `/conversations/${id}/agent-messages`, { content: "Hi, I'm here to help with your order." });
    await expect.poll(() => page.locator("#edgedesk-widget .m.mh").innerText()).toMatch(/Support agent[\s\S]*here to help/);
    await expect.poll(() => page.locator("#edgedesk-widget .st").innerText()).toMatch(/chatting with Support agent/);
    await expect.poll(() => page.locator("#edgedesk-widget [aria-live=polite]").innerText()).toMatch(/Support agent: Hi, I'm here/);
    await adminApi(seeded, "POST", `/conversations/${id}/resolve`);
    const fourStars = page.locator("#edgedesk-widget [aria-label='4 out of 5']");
    await fourStars.click();
    await expect.poll(() => page.locator("#edgedesk-widget .rate").innerText()).toMatch(/Thank you/);
    const conv = await adminApi<{ satisfaction_score: number }>(seeded, "GET", `/conversations/${id}`);
    expect(conv.satisfaction_score).toBe(4);
    // "New conversation" starts afresh; the next message opens a new conversation.
    await page.locator("#edgedesk-widget [aria-label='New conversation']").click();
    expect(await page.locator("#edgedesk-widget .m").count()).toBe(1);
    await ask(page, QUESTION);
    expect(await conversationId(page)).not.toBe(id);
    await page.context().close();
  });

  it("uploads an image and sends it with the message", async () => {
    const page = await openPage();
    await launcher(page).click();
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==",
      "base64",
    );
    await page.locator("#edgedesk-widget input[type=file]").setInputFiles({ name: "damage.png", mimeType: "image/png", buffer: png });
    await page.locator("#edgedesk-widget [aria-label='Remove damage.png']").waitFor();
    await input(page).fill("My bike arrived scratched");
    await input(page).press("Enter");
    const sent = page.locator("#edgedesk-widget .m.mv").last();
    await sent.locator(".att img").waitFor();
    expect(await sent.locator(".att").getAttribute("aria-label")).toBe("Attachment: damage.png");
    const stored = await storedMessages(await conversationId(page));
    expect(stored[0]!.content).toMatch(/^My bike arrived scratched\n\n\[damage\.png\]\(http:\/\/127\.0\.0\.1:\d+\/api\/v1\/conversations\/conv_\w+\/attachments\/att_\w+\)$/);
    // A text file is refused before upload, with a message.
    await page.locator("#edgedesk-widget input[type=file]").setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hi") });
    await expect.poll(() => page.locator("#edgedesk-widget [role=alert]").innerText()).toMatch(/not an image/);
    await page.context().close();
  });

  it("speaks the page's language: Spanish strings, Arabic right to left", async () => {
    site.setPage("/es", shopPage(seeded, { locale: "es" }));
    site.setPage("/ar", shopPage(seeded, { locale: "ar" }));
    const es = await openPage("/es");
    expect(await launcher(es).getAttribute("aria-label")).toBe("Habla con nosotros");
    await launcher(es).click();
    expect(await input(es).getAttribute("placeholder")).toBe("Escribe un mensaje…");
    await es.context().close();

    const ar = await openPage("/ar");
    await launcher(ar).click();
    await input(ar).waitFor();
    expect(await ar.locator("#edgedesk-widget .w").getAttribute("dir")).toBe("rtl");
    expect(await ar.locator("#edgedesk-widget h2").innerText()).toBe("تحدث معنا");
    await ar.context().close();
  });

  it("is driven by the page through window.EdgeDesk, even before the script has loaded", async () => {
    const stub = `<script>window.EdgeDesk=window.EdgeDesk||function(){(EdgeDesk.q=EdgeDesk.q||[]).push(arguments)};
      window.events=[];EdgeDesk('on','open',function(){events.push('open')});EdgeDesk('on','close',function(){events.push('close')});
      EdgeDesk('identify',{visitor_id:'customer-42',name:'Ada',email:'ada@example.com'});</script>`;
    site.setPage("/api", shopPage(seeded, { launcher: "hidden" }, { head: stub, body: "<button id='help' onclick='EdgeDesk.open()'>Help</button>" }));
    const page = await browser.newPage();
    await page.goto(`${site.origin}/api`);
    await page.waitForFunction(() => typeof (window as unknown as { EdgeDesk: { open?: unknown } }).EdgeDesk.open === "function");
    expect(await launcher(page).isVisible()).toBe(false);
    await page.locator("#help").click();
    await input(page).waitFor();
    await ask(page, QUESTION);
    const id = await conversationId(page);
    const conv = await adminApi<{ visitor_id: string; metadata: Record<string, string> }>(seeded, "GET", `/conversations/${id}`);
    expect(conv.visitor_id).toBe("customer-42");
    expect(conv.metadata).toMatchObject({ name: "Ada", email: "ada@example.com" });
    await page.keyboard.press("Escape");
    // Without a launcher, focus goes back to the page's own button.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("help");
    expect(await page.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual(["open", "close"]);
    await page.context().close();
  });
});

describe("the platform serves the widget and the demo page", () => {
  it("serves the versioned widget with long-lived cache headers, to any site", async () => {
    const apiUrl = inject("apiUrl");
    for (const path of [LOADER_PATH, LOADER_PATH.replace("widget.js", "app.js"), LOADER_PATH.replace("widget.js", "i18n/fr.js")]) {
      const res = await fetch(`${apiUrl}${path}`, { headers: { origin: "https://shop.example.com" } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/javascript/);
      expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      await res.arrayBuffer();
    }
  });

  it("serves the demo page at /demo with the widget on it", async () => {
    const res = await fetch(`${inject("apiUrl")}/demo`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("Northwind Cycles");
    expect(html).toContain("/demo/config.js");
    expect(html).toContain("EdgeDesk");
  });
});

/** Words of a stored answer, without its `[n]` citation markers. */
function normalise(text: string): string {
  return text.replace(/\s*\[\d+\]/g, "").replace(/\*\*/g, "").replace(/\s+/g, " ").trim();
}

/** Words of the `index`th answer bubble, without its citation buttons. */
function answerWords(page: Page, index: number): Promise<string> {
  return answers(page)
    .nth(index)
    .locator(".bb")
    .evaluate((el) => {
      const copy = el.cloneNode(true) as HTMLElement;
      for (const cite of copy.querySelectorAll(".ci")) cite.remove();
      return (copy.textContent ?? "").replace(/\s+/g, " ").replace(/\s+([.,;:!?])/g, "$1").trim();
    });
}
