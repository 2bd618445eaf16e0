/**
 * What the widget's browser tests share: a workspace seeded through the public API, a host site
 * on its own origin (the widget is cross-origin there, as on a customer's site), and Chromium.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { ROOT } from "../../e2e/local-server";
import { widgetVersion } from "../scripts/build.mjs";

/** Debian's Chromium, as CI installs it. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const DOCUMENT_READY_TIMEOUT_MS = 60_000;

/** Headless Chromium with nothing reaching out to the network on its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** The widget loader's path on the platform. */
export const LOADER_PATH = `/widget/v${widgetVersion()}/widget.js`;

/** A workspace with an assistant that knows the demo help articles, and its widget key. */
export interface Seeded {
  apiUrl: string;
  accessToken: string;
  assistantId: string;
  publishableKey: string;
}

async function api<T>(apiUrl: string, method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const res = await fetch(`${apiUrl}/api/v1${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Signs up a workspace, creates an assistant allowed on `origins`, uploads the demo articles. */
export async function seedWorkspace(apiUrl: string, origins: string[]): Promise<Seeded> {
  const email = `widget-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
  const session = await api<{ access_token: string }>(apiUrl, "POST", "/workspaces", null, {
    workspace_name: "Widget tests",
    email,
    password: "correct horse battery staple",
  });
  const token = session.access_token;
  const assistant = await api<{ id: string }>(apiUrl, "POST", "/assistants", token, {
    name: "Northwind support",
    allowed_origins: origins,
    escalation_threshold: 0.05,
  });
  const docsDir = join(ROOT, "seed", "docs");
  const ids: string[] = [];
  for (const file of readdirSync(docsDir).filter((f) => f.endsWith(".md"))) {
    const content = readFileSync(join(docsDir, file), "utf8");
    const title = /^#\s+(.+)$/m.exec(content)?.[1] ?? file;
    ids.push((await api<{ id: string }>(apiUrl, "POST", `/assistants/${assistant.id}/documents`, token, { title, content })).id);
  }
  const deadline = Date.now() + DOCUMENT_READY_TIMEOUT_MS;
  for (const id of ids) {
    for (;;) {
      const doc = await api<{ status: string }>(apiUrl, "GET", `/documents/${id}`, token);
      if (doc.status === "ready") break;
      if (doc.status === "failed" || Date.now() > deadline) throw new Error(`document ${id} is ${doc.status}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const key = await api<{ key: string }>(apiUrl, "POST", "/api-keys", token, {
    name: "widget",
    type: "publishable",
    assistant_id: assistant.id,
  });
  return { apiUrl, accessToken: token, assistantId: assistant.id, publishableKey: key.key };
}

/** Calls the API as the workspace's admin (agent replies, resolving, reading the transcript). */
export function adminApi<T = unknown>(s: Seeded, method: string, path: string, body?: unknown): Promise<T> {
  return api<T>(s.apiUrl, method, path, s.accessToken, body);
}

/** A site on its own origin serving the pages the tests set. */
export interface HostSite {
  origin: string;
  setPage(path: string, html: string): void;
  close(): Promise<void>;
}

/** Starts the host site on a free port of 127.0.0.1. */
export async function startHostSite(): Promise<HostSite> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? "/", "http://x").pathname);
    res.writeHead(html ? 200 : 404, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html ?? "not found");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    origin: `http://127.0.0.1:${port}`,
    setPage: (path, html) => pages.set(path, html),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A shop page embedding the widget with `attrs` as extra `data-*` attributes. */
export function shopPage(s: Seeded, attrs: Record<string, string> = {}, extra: { head?: string; body?: string } = {}): string {
  const data = Object.entries(attrs)
    .map(([k, v]) => ` data-${k}="${v}"`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>${extra.head ?? ""}</head><body>
<header><a href="#main">Skip to content</a></header>
<main id="main"><h1>Northwind Cycles</h1><p class="intro">E-bikes for city and trail.</p>${extra.body ?? ""}
<p><a href="#top" id="after">Back to top</a></p></main>
<script src="${s.apiUrl}${LOADER_PATH}" data-assistant="${s.assistantId}" data-key="${s.publishableKey}"${data} async></script>
</body></html>`;
}

/**
 * A hand on the page's network, installed before the page runs (`context.addInitScript`): wraps
 * `WebSocket` so a test can cut every socket, keep new ones from connecting, lose the next
 * acknowledgement, or cut a socket right after the first token of an answer. Controlled through
 * `window.__net` (see `NetControls`); `__net.log` records what the page received.
 */
export const NETWORK_CONTROLS = `(() => {
  const Native = window.WebSocket;
  const net = (window.__net = { blocked: false, dropNextAck: false, cutAfterDelta: false, dropped: 0, cuts: 0, opened: 0, sockets: [], log: [] });
  class Controlled extends Native {
    constructor(url, protocols) {
      // Blocked: aim at a port nothing listens on, so the connection fails like a dead network.
      super(net.blocked ? "ws://127.0.0.1:9/" : url, protocols);
      net.opened++;
      net.sockets.push(this);
    }
    set onmessage(fn) {
      super.onmessage = (e) => {
        if (this.__cut) return;
        const data = String(e.data);
        net.log.push(data.slice(0, 40));
        if (net.dropNextAck && data.includes('"type":"ack"')) {
          net.dropNextAck = false;
          net.dropped++;
          this.__cut = true;
          this.close();
          return;
        }
        fn.call(this, e);
        if (net.cutAfterDelta && data.includes('"type":"delta"')) {
          net.cutAfterDelta = false;
          net.cuts++;
          this.__cut = true;
          this.close();
        }
      };
    }
    get onmessage() {
      return super.onmessage;
    }
  }
  window.WebSocket = Controlled;
  net.cutAll = () => net.sockets.forEach((s) => { s.__cut = true; s.close(); });
})();`;

/** What `window.__net` offers a test. */
export interface NetControls {
  blocked: boolean;
  dropNextAck: boolean;
  cutAfterDelta: boolean;
  dropped: number;
  cuts: number;
  opened: number;
  log: string[];
  cutAll(): void;
}

/** Changes the page's network controls. */
export function setNet(page: Page, patch: Partial<Pick<NetControls, "blocked" | "dropNextAck" | "cutAfterDelta">> & { cutAll?: boolean }) {
  return page.evaluate((p) => {
    const net = (window as unknown as { __net: NetControls }).__net;
    const { cutAll, ...flags } = p;
    Object.assign(net, flags);
    if (cutAll) net.cutAll();
  }, patch);
}

/** Reads the page's network counters. */
export function getNet(page: Page) {
  return page.evaluate(() => {
    const { dropped, cuts, opened, log } = (window as unknown as { __net: NetControls }).__net;
    return { dropped, cuts, opened, log };
  });
}

/** The launcher button (Playwright's CSS locators pierce the open shadow root). */
export const launcher = (page: Page) => page.locator("#edgedesk-widget .l");
/** The message input. */
export const input = (page: Page) => page.locator("#edgedesk-widget #ed-input");
/** The transcript. */
export const transcript = (page: Page) => page.locator("#edgedesk-widget [role=log]");
/** Every assistant answer bubble. */
export const answers = (page: Page) => page.locator("#edgedesk-widget .m.ma");

/** The element focused inside the widget's shadow root, described as `tag#id.class`, or null. */
export function focusedInWidget(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const host = document.getElementById("edgedesk-widget");
    if (document.activeElement !== host) return null;
    const el = host?.shadowRoot?.activeElement;
    return el ? `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}${el.className ? `.${String(el.className).split(" ").join(".")}` : ""}` : null;
  });
}

/** Asks a question through the UI and waits for its complete answer; returns the answer's text. */
export async function ask(page: Page, question: string): Promise<string> {
  await input(page).waitFor(); // the panel is there: the count below includes its greeting
  const before = await answers(page).count();
  await input(page).fill(question);
  await input(page).press("Enter");
  const answer = answers(page).nth(before);
  await answer.waitFor();
  await page.waitForFunction(
    (i) => {
      const all = document.getElementById("edgedesk-widget")?.shadowRoot?.querySelectorAll(".m.ma");
      const m = all?.[i];
      return !!m && m.getAttribute("data-status") !== "streaming";
    },
    before,
  );
  return (await answer.locator(".bb").innerText()).trim();
}
