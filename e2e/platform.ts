/**
 * The platform the browser tests (`e2e`) and the dashboard's loader tests (`dashboard`) drive,
 * started once per test run whichever of those projects run: a Worker as a self-hosted install
 * runs it (no billing), a second Worker with billing on against the fake Stripe API, and, for the
 * browser tests, the built dashboard in front of each (`wrangler pages dev`).
 *
 * Starting it takes a minute (two builds, four workerd processes), so it starts in the
 * background: the ports are chosen first and provided at once, and the Worker tests run while
 * it comes up. Each test file of those projects first waits for it (`wait-for-platform.ts`),
 * through a small status server that also reports why it failed to start, if it did.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { ProvidedContext } from "vitest";
import type { TestProject } from "vitest/node";
import { asBuild, buildDashboard, startDashboard, type LocalDashboard } from "../dashboard/test/platform";
import { startFakeActionsServer } from "../workers/test/fake-actions-server";
import { startFakeStripe } from "../workers/test/fake-stripe-server";
import { freePort, startLocalServer, type LocalServer } from "./local-server";

/** The Stripe settings of the Worker with billing on (the fake accepts any `sk_test_` key). */
export const BILLING_VARS = {
  STRIPE_SECRET_KEY: "sk_test_edgedeskDashboardBilling0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_test_edgedesk_dashboard_webhooks",
  STRIPE_PRICE_PRO: "price_test_pro",
  STRIPE_PRICE_ENTERPRISE: "price_test_enterprise",
};

const WIDGET_BUILD_SCRIPT = fileURLToPath(new URL("../widget/scripts/build.mjs", import.meta.url));

/** How long a status request waits for the platform before answering "still starting". */
const STATUS_LONG_POLL_MS = 20_000;

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the local Worker (API, widget, demo page); billing is not configured on it. */
    apiUrl: string;
    /** Base URL of a second local Worker with billing on, talking to the fake Stripe API. */
    billingApiUrl: string;
    /** Base URL of the fake Stripe API the billing Worker calls. */
    fakeStripeUrl: string;
    /** Base URL of a business's fake order API and MCP server (workers/test/fake-actions-server.ts), which `apiUrl`'s actions may call. */
    fakeActionsUrl: string;
    /** Base URL of the dashboard (Remix on `wrangler pages dev`), calling `apiUrl`. */
    dashboardUrl: string;
    /** Base URL of a dashboard calling `billingApiUrl`. */
    billingDashboardUrl: string;
    /** Answers 200 once what this project needs of the platform is up, 500 with the reason if it failed. */
    platformReadyUrl: string;
  }
}

/** What a project needs: the two Workers, or the dashboards in front of them too. */
export type PlatformPart = "workers" | "dashboards";

type Urls = Pick<ProvidedContext, "apiUrl" | "billingApiUrl" | "fakeStripeUrl" | "fakeActionsUrl" | "dashboardUrl" | "billingDashboardUrl">;

/** A part starting, and how it ended: `undefined` while starting, `null` once up. */
interface Starting {
  done: Promise<void>;
  error?: Error | null;
}

interface Platform {
  urls: Urls;
  statusUrl: string;
  users: number;
  start(part: PlatformPart): void;
  stop(): Promise<void>;
}

// Each project loads its global setup into a module graph of its own, so the one platform of the
// run is kept on the process.
const PLATFORM_KEY = Symbol.for("edgedesk.test-platform");
type Holder = { [PLATFORM_KEY]?: Promise<Platform> };

function starting(done: Promise<void>): Starting {
  const part: Starting = { done };
  done.then(
    () => (part.error = null),
    (err: unknown) => (part.error = err instanceof Error ? err : new Error(String(err))),
  );
  return part;
}

/** Ports and the fake Stripe API and business services first; each part starts in the background the first time a project asks for it. */
async function createPlatform(): Promise<Platform> {
  const [apiPort, billingApiPort, dashboardPort, billingDashboardPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const [stripe, actions] = await Promise.all([startFakeStripe(), startFakeActionsServer()]);
  const urls: Urls = {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    billingApiUrl: `http://127.0.0.1:${billingApiPort}`,
    fakeStripeUrl: stripe.url,
    fakeActionsUrl: actions.url,
    // `localhost`: browsers treat it as a secure context, so the Secure session cookie is kept.
    dashboardUrl: `http://localhost:${dashboardPort}`,
    billingDashboardUrl: `http://localhost:${billingDashboardPort}`,
  };
  const running: (LocalServer | LocalDashboard)[] = [];
  const track = async (server: Promise<LocalServer | LocalDashboard>) => void running.push(await server);
  const parts: Partial<Record<PlatformPart, Starting>> = {};

  const startWorkers = async () => {
    // The Workers serve the widget from public/widget/, a build output that is not committed.
    await buildWidgetApart();
    await Promise.all([
      // Actions and MCP servers on this Worker may reach the fake business services, and only those.
      track(startLocalServer({ ALLOW_PRIVATE_FETCH: new URL(actions.url).host }, apiPort)),
      track(startLocalServer({ ...BILLING_VARS, STRIPE_API_BASE: stripe.url }, billingApiPort)),
    ]);
  };
  // The dashboards build while the Workers start: they need only the Workers' URLs.
  const startDashboards = async () => {
    await buildDashboard();
    await Promise.all([track(startDashboard(urls.apiUrl, dashboardPort)), track(startDashboard(urls.billingApiUrl, billingDashboardPort))]);
  };
  // Everything started, awaited before stopping so that nothing is left running.
  const launched: Promise<void>[] = [];
  const launch = (start: () => Promise<void>) => {
    const started = start();
    launched.push(started);
    return started;
  };
  const statusServer = await serveStatus(parts);
  return {
    urls,
    statusUrl: `http://127.0.0.1:${(statusServer.address() as AddressInfo).port}`,
    users: 0,
    start(part) {
      parts.workers ??= starting(launch(startWorkers));
      if (part === "dashboards") parts.dashboards ??= starting(Promise.all([parts.workers.done, launch(startDashboards)]).then(() => undefined));
    },
    async stop() {
      await Promise.allSettled(launched);
      await Promise.all(running.map((s) => s.stop()));
      await Promise.all([stripe.close(), actions.close()]);
      await new Promise<void>((resolve) => statusServer.close(() => resolve()));
    },
  };
}

/**
 * Builds the widget in a process of its own, at a lower priority: a Vite build inside the Vitest
 * process would hold up the modules it serves to the Worker tests starting meanwhile.
 */
function buildWidgetApart(): Promise<void> {
  const child = asBuild(spawn(process.execPath, [WIDGET_BUILD_SCRIPT], { env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] }));
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  return new Promise((resolve, reject) =>
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`widget build failed (${code}):\n${output.slice(-3000)}`)))),
  );
}

/** `GET /<part>`: 200 once that part is up, 202 while it is still starting, 500 with the reason if it failed. */
function serveStatus(parts: Partial<Record<PlatformPart, Starting>>): Promise<Server> {
  const server = createServer(async (req, res) => {
    const name = (req.url ?? "/").slice(1) as PlatformPart;
    const part = parts[name];
    if (!part) return void res.writeHead(404).end(`nothing asked for ${name}`);
    if (part.error === undefined) await Promise.race([part.done.catch(() => undefined), new Promise((r) => setTimeout(r, STATUS_LONG_POLL_MS))]);
    if (part.error === undefined) res.writeHead(202).end("starting");
    else if (part.error === null) res.writeHead(200).end("ready");
    else res.writeHead(500).end(part.error.stack ?? part.error.message);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

/**
 * The global setup of a project that drives the platform: starts `part` (once per run), provides
 * the URLs, and returns the teardown, which stops everything after the last project is done.
 */
export async function usePlatform(project: TestProject, part: PlatformPart): Promise<() => Promise<void>> {
  const holder = globalThis as Holder;
  holder[PLATFORM_KEY] ??= createPlatform();
  const platform = await holder[PLATFORM_KEY];
  platform.users += 1;
  platform.start(part);
  for (const [key, value] of Object.entries(platform.urls)) project.provide(key as keyof Urls, value);
  project.provide("platformReadyUrl", `${platform.statusUrl}/${part}`);
  return async () => {
    platform.users -= 1;
    if (platform.users > 0) return;
    delete holder[PLATFORM_KEY];
    await platform.stop();
  };
}
