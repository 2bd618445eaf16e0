/**
 * The dashboard's pages as the Pages runtime serves them: every document carries a
 * Content-Security-Policy whose nonce is on each inline script Remix writes, and the hardening
 * headers the API carries; in Chromium the pages hydrate and navigate under that policy with
 * no violation.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { api, launchChromium, signUpInBrowser } from "./support";

const SHOP = "https://shop.example.com";

/** The policy's directives by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/** Checks one document response; returns its nonce. */
async function expectHardenedDocument(res: { headers: Record<string, string>; body: string }, where: string): Promise<string> {
  const apiUrl = new URL(inject("apiUrl"));
  const csp = res.headers["content-security-policy"];
  expect(csp, where).toBeTruthy();
  const d = directives(csp!);
  const script = d.get("script-src")!;
  const nonce = script.find((s) => s.startsWith("'nonce-"))?.slice(7, -1);
  expect(nonce, `${where}: ${csp}`).toMatch(/^[A-Za-z0-9+/]{20,}={0,2}$/);
  expect(script.filter((s) => s !== `'nonce-${nonce}'`)).toEqual(["'self'"]);
  expect(d.get("default-src")).toEqual(["'self'"]);
  expect(d.get("object-src")).toEqual(["'none'"]);
  expect(d.get("base-uri")).toEqual(["'none'"]);
  expect(d.get("frame-ancestors")).toEqual(["'none'"]);
  expect(d.get("connect-src")).toEqual(["'self'", apiUrl.origin, `ws://${apiUrl.host}`]);
  expect(res.headers["x-content-type-options"], where).toBe("nosniff");
  expect(res.headers["x-frame-options"], where).toBe("DENY");
  expect(res.headers["strict-transport-security"], where).toMatch(/^max-age=\d+/);
  expect(res.headers["referrer-policy"], where).toBe("same-origin");
  expect(res.headers["cross-origin-opener-policy"], where).toBe("same-origin");

  // Every inline script of the page carries the nonce; none runs without it.
  const inline = [...res.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!).filter((attrs) => !/\ssrc=/.test(attrs));
  expect(inline.length, where).toBeGreaterThan(0);
  for (const attrs of inline) expect(attrs, where).toContain(`nonce="${nonce}"`);
  return nonce!;
}

async function fetched(url: string) {
  const res = await fetch(url);
  return { headers: Object.fromEntries(res.headers), body: await res.text() };
}

/** Collects the page's CSP violations from the first script on. */
async function watchViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const messages: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy/i.test(m.text())) messages.push(m.text());
  });
  return async () => [...messages, ...(await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []))];
}

describe("the dashboard's security headers", () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("sends a Content-Security-Policy with a fresh nonce on every page, signed in or not", async () => {
    const dashboard = inject("dashboardUrl");
    const first = await expectHardenedDocument(await fetched(`${dashboard}/login`), "/login");
    const second = await expectHardenedDocument(await fetched(`${dashboard}/login`), "/login again");
    expect(second).not.toBe(first);
    await expectHardenedDocument(await fetched(`${dashboard}/signup`), "/signup");
    const missing = await fetched(`${dashboard}/no-such-page`);
    await expectHardenedDocument(missing, "a 404 page");

    const { context } = await signUpInBrowser(browser, "Header Checks");
    for (const path of ["/overview", "/conversations", "/assistants", "/knowledge", "/team", "/settings"]) {
      const res = await context.request.get(`${dashboard}${path}`);
      expect(res.status(), path).toBe(200);
      await expectHardenedDocument({ headers: res.headers(), body: await res.text() }, path);
    }
    await context.close();
  });

  it("hydrates, navigates and watches a conversation live under the policy without a single violation", async () => {
    const dashboard = inject("dashboardUrl");
    const { context, page, token } = await signUpInBrowser(browser, "Policy Checks");
    const violations = await watchViolations(page);
    const assistant = await api("POST", "/assistants", { token, body: { name: "Helper", allowed_origins: [SHOP] } });
    const pk = await api("POST", "/api-keys", { token, body: { name: "Widget", type: "publishable", assistant_id: assistant.id } });
    const conv = await api("POST", "/conversations", {
      token: pk.key,
      headers: { origin: SHOP },
      body: { assistant_id: assistant.id, visitor_id: "visitor-csp", channel: "web" },
    });

    await page.goto(`${dashboard}/overview`);
    // A client-side navigation only happens once the page's scripts have run.
    const nav = page.getByRole("navigation", { name: "Main", exact: true });
    await nav.getByRole("link", { name: "Conversations" }).click();
    await page.waitForURL("**/conversations");
    await nav.getByRole("link", { name: "Assistants" }).click();
    await page.waitForURL("**/assistants");
    expect(await page.evaluate(() => typeof (window as unknown as { __remixContext?: unknown }).__remixContext)).toBe("object");
    // The live view reaches the API's WebSocket, which connect-src allows.
    await page.goto(`${dashboard}/conversations/${conv.conversation_id}`);
    await page.locator('[data-connection="live"]').waitFor();
    await page.goto(`${dashboard}/knowledge?assistant=${assistant.id}`);
    await page.getByText("No documents yet").waitFor();
    expect(await violations()).toEqual([]);
    await context.close();
  });
});
