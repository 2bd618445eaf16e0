/** What the dashboard's browser tests share: Chromium, sign-up through the UI, API calls for setup. */
import type { Browser, Page } from "playwright-core";
import { inject } from "vitest";

export { launchChromium } from "../../widget/e2e/support";

export const PASSWORD = "correct horse battery staple";

/** A unique email address. */
export function uniqueEmail(tag: string): string {
  return `${tag}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/** Calls the API directly (the platform's Worker, or the one at `apiUrl`), for setup that is not what a test is about. */
export async function api<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; apiUrl?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${opts.apiUrl ?? inject("apiUrl")}/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Signs up a new workspace through the dashboard's sign-up page; the page ends on the overview. */
export async function signUpInBrowser(browser: Browser, workspace = "Northwind Cycles") {
  const context = await browser.newContext();
  const page = await context.newPage();
  const email = uniqueEmail("owner");
  await page.goto(`${inject("dashboardUrl")}/signup`);
  await page.getByLabel("Workspace name").fill(workspace);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.waitForURL("**/overview");
  const session = await api<{ access_token: string; workspace: { id: string } }>("POST", "/auth/login", { body: { email, password: PASSWORD } });
  return { context, page, email, token: session.access_token };
}

/** The value of one of the overview's totals. */
export function stat(page: Page, id: string) {
  return page.locator(`[data-stat="${id}"] dd`).innerText();
}

/** Waits for the knowledge-base documents to be ready, through the API. */
export async function waitForDocuments(token: string, assistantId: string, count: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await api<{ data: { status: string }[] }>("GET", `/assistants/${assistantId}/documents`, { token });
    if (page.data.length >= count && page.data.every((d) => d.status === "ready")) return;
    if (Date.now() > deadline) throw new Error(`documents not ready: ${JSON.stringify(page.data.map((d) => d.status))}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
