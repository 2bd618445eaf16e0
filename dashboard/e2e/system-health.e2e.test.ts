/**
 * The System health page of a deployment that names its operator's workspace: the operator's
 * admin sees the traffic the deployment really served (routes, errors, answers, queue jobs) and
 * picks the period; another workspace's admin and the operator's manager do not.
 *
 * The operator's workspace id exists only once it has signed up, so this file runs a Worker and
 * a dashboard of its own: the Worker starts, the workspaces sign up, then it restarts on the same
 * stored state with `OPERATOR_WORKSPACE_ID` set, as an operator configures a deployment.
 */
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startLocalServer, type LocalServer } from "../../e2e/local-server";
import { startDashboard, type LocalDashboard } from "../test/platform";
import { api, launchChromium, PASSWORD, uniqueEmail } from "./support";

const ORIGIN = "https://shop.example.com";
/** A port nothing listens on: the identity provider this deployment cannot reach. */
const UNREACHABLE_ISSUER = "http://127.0.0.1:9";
/** A duration as the page writes it: `850 ms` or `1.2 s`. */
const DURATION = /^\d+(\.\d)? m?s$/;

interface Session {
  access_token: string;
  workspace: { id: string };
}

describe("system health", () => {
  let worker: LocalServer;
  let dashboard: LocalDashboard;
  let browser: Browser;
  let operator: Session & { email: string };
  let tenantEmail: string;
  let managerEmail: string;

  const call = <T = any>(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    api<T>(method, path, { ...opts, apiUrl: worker.url });

  async function signUp(name: string) {
    const email = uniqueEmail(name.toLowerCase());
    const session = await call<Session>("POST", "/workspaces", { body: { workspace_name: name, email, password: PASSWORD } });
    return { ...session, email };
  }

  async function signIn(email: string): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${dashboard.url}/login`);
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.waitForURL("**/overview");
    return page;
  }

  async function navLinks(page: Page): Promise<string[]> {
    const nav = page.getByRole("navigation", { name: "Main", exact: true });
    await nav.getByRole("link").first().waitFor();
    return nav.getByRole("link").allInnerTexts();
  }

  beforeAll(async () => {
    const port = await freePort();
    const started = await Promise.all([
      // The unreachable issuer passes the outbound policy, so starting a sign-in with it fails at the network: a real 502.
      startLocalServer({ ALLOW_PRIVATE_FETCH: new URL(UNREACHABLE_ISSUER).host }, port),
      startDashboard(`http://127.0.0.1:${port}`),
      launchChromium(),
    ]);
    [worker, dashboard, browser] = started;

    operator = await signUp("Operator");
    tenantEmail = (await signUp("Tenant")).email;
    await worker.restart({ OPERATOR_WORKSPACE_ID: operator.workspace.id });
    expect((await call("GET", "/auth/me", { token: operator.access_token })).system_health).toBe(true);

    // Traffic: setup calls, a visitor's question the offline model answers, two 404s and one 502.
    const token = operator.access_token;
    const assistant = await call("POST", "/assistants", { token, body: { name: "Helper", allowed_origins: [ORIGIN] } });
    const widgetKey = await call("POST", "/api-keys", { token, body: { name: "Widget", type: "publishable", assistant_id: assistant.id } });
    const conversation = await call("POST", "/conversations", {
      token: widgetKey.key,
      headers: { origin: ORIGIN },
      body: { assistant_id: assistant.id, visitor_id: "visitor-1", channel: "web", initial_message: "How long does shipping take?" },
    });
    expect(conversation.conversation_id).toBeTruthy();
    for (const id of ["ast_missing1", "ast_missing2"]) {
      await expect(call("GET", `/assistants/${id}`, { token })).rejects.toThrow(/: 404 /);
    }
    await call("PUT", "/workspace/sso", { token, body: { issuer: UNREACHABLE_ISSUER, client_id: "edgedesk", allowed_domains: ["example.test"] } });
    await expect(call("GET", `/auth/sso/start?workspace=${operator.workspace.id}`)).rejects.toThrow(/: 502 .*could not be reached/);

    managerEmail = uniqueEmail("manager");
    const invite = await call("POST", "/team/invites", { token, body: { email: managerEmail, role: "manager" } });
    await call("POST", "/invites/accept", { body: { token: invite.token, password: PASSWORD, name: "Manager" } });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([dashboard?.stop(), worker?.stop()]);
  });

  it("shows the operator's admin the requests, errors, answers and queue jobs the deployment served", async () => {
    const page = await signIn(operator.email);
    expect(await navLinks(page)).toContain("System health");
    await page.getByRole("navigation", { name: "Main", exact: true }).getByRole("link", { name: "System health" }).click();
    await page.waitForURL("**/system-health");
    await page.getByRole("heading", { name: "System health" }).waitFor();
    expect(await page.getByLabel("Period").inputValue()).toBe("1h");

    // Answers reach the metrics through the analytics queue: the page shows them, and the queue's
    // job, once it has delivered.
    const queues = page.getByRole("region", { name: "Queue jobs by queue" });
    const analyticsJobs = () => queues.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "edgedesk-analytics" }) }).getByRole("cell");
    await expect
      .poll(async () => {
        await page.reload();
        return { answers: Number(await statValue(page, "Answers")), queued: await analyticsJobs().count() };
      })
      .toSatisfy(({ answers, queued }) => answers > 0 && queued > 0);
    expect(Number((await statValue(page, "Tokens")).replace(/,/g, ""))).toBeGreaterThan(0);

    const requests = Number((await statValue(page, "Requests")).replace(/,/g, ""));
    expect(requests).toBeGreaterThanOrEqual(8);
    expect(await statValue(page, "Error rate (5xx)")).toMatch(/%\s*\(1\)$/);

    const routes = page.getByRole("region", { name: "Busiest routes, most requests first" });
    expect(await routeCells(page, routes, "GET /api/v1/assistants/:id")).toEqual(["2", "0", expect.stringMatching(DURATION)]);
    expect(await routeCells(page, routes, "GET /api/v1/auth/sso/start")).toEqual(["1", "1", expect.stringMatching(DURATION)]);
    expect(await routeCells(page, routes, "POST /api/v1/conversations")).toEqual(["1", "0", expect.stringMatching(DURATION)]);
    // Route patterns, never raw paths with ids in them.
    expect(await routes.getByText("ast_missing").count()).toBe(0);

    const timings = page.getByRole("region", { name: /^Timings in milliseconds/ });
    for (const measure of ["Request", "Answer: complete"]) {
      const cells = await timings.getByRole("row").filter({ has: page.getByRole("rowheader", { name: measure, exact: true }) }).getByRole("cell").allInnerTexts();
      expect(cells).toHaveLength(3);
      for (const cell of cells) expect(cell).toMatch(DURATION);
    }

    const [jobs, handled, , failed] = await analyticsJobs().allInnerTexts();
    expect(Number(jobs)).toBeGreaterThan(0);
    expect(handled).toBe(jobs);
    expect(failed).toBe("0");
  });

  it("reports the period chosen in the select", async () => {
    const page = await signIn(operator.email);
    await page.goto(`${dashboard.url}/system-health`);
    await expectReportOver(page, 60);

    await page.getByLabel("Period").selectOption("15m");
    await page.waitForURL("**/system-health?period=15m");
    expect(await page.getByLabel("Period").inputValue()).toBe("15m");
    await expectReportOver(page, 15);

    // Back to the last hour: the select says so again, not only the figures.
    await page.goBack();
    await page.waitForURL(/\/system-health$/);
    await expectReportOver(page, 60);
    expect(await page.getByLabel("Period").inputValue()).toBe("1h");
  });

  it("is neither offered nor shown to another workspace's admin or to the operator's manager", async () => {
    const tenant = await signIn(tenantEmail);
    expect(await navLinks(tenant)).not.toContain("System health");
    const refused = await tenant.goto(`${dashboard.url}/system-health`);
    expect(refused?.status()).toBe(200);
    await tenant.getByText("Only for the deployment's operator", { exact: true }).waitFor();
    expect(await tenant.getByRole("region", { name: "Busiest routes, most requests first" }).count()).toBe(0);

    const manager = await signIn(managerEmail);
    expect(await navLinks(manager)).not.toContain("System health");
    const forbidden = await manager.goto(`${dashboard.url}/system-health`);
    expect(forbidden?.status()).toBe(403);
    await manager.getByRole("heading", { name: "Not allowed" }).waitFor();
  });
});

/** The value of one of the page's totals, by its label. */
async function statValue(page: Page, label: string): Promise<string> {
  const stat = page.locator(".stat").filter({ has: page.getByText(label, { exact: true }) });
  return (await stat.locator("dd").innerText()).trim();
}

/** Requests, 5xx and average of one route in the busiest routes table. */
function routeCells(page: Page, routes: Locator, route: string): Promise<string[]> {
  return routes.getByRole("row").filter({ has: page.getByRole("rowheader", { name: route, exact: true }) }).getByRole("cell").allInnerTexts();
}

/**
 * Waits until the page's totals are a report over a period of `minutes`: its requests per minute
 * is its request count spread over that many minutes. (The address changes as the new report
 * arrives, a moment before it is on screen, so the page is read until it is.)
 */
async function expectReportOver(page: Page, minutes: number): Promise<void> {
  await expect
    .poll(async () => {
      const totals = await page.locator("dl.stats").innerText();
      const requests = Number(/^Requests\s+([\d,]+)$/m.exec(totals)?.[1]?.replace(/,/g, ""));
      const perMinute = Number(/^Requests per minute\s+([\d.]+)$/m.exec(totals)?.[1]);
      return requests > 0 && perMinute === Math.round((requests / minutes) * 100) / 100;
    })
    .toBe(true);
}
