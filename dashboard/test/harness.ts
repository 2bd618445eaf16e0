/**
 * Runs the dashboard's loaders and actions in Node the way Remix does, against the real local
 * API, with a cookie jar standing in for the browser.
 */
import { randomBytes } from "node:crypto";
import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { inject } from "vitest";
import { newRequestState } from "../load-context";
import { loader as rootLoader } from "../app/root";

/** Where the dashboard under test pretends to be served. */
export const ORIGIN = "http://localhost:8788";
/** Random for every run: the dashboard has no stand-in secret, and a fixed one would be a forgeable key. */
const SESSION_SECRET = randomBytes(32).toString("base64url");
export const PASSWORD = "correct horse battery staple";

/** What a loader or action produced, as a response would carry it. */
export interface Outcome<T = unknown> {
  status: number;
  headers: Headers;
  data: T;
  /** Redirect target, if any. */
  location: string | null;
}

type Fn = (args: LoaderFunctionArgs & ActionFunctionArgs) => unknown;

function isDataWithInit(v: unknown): v is { type: "DataWithResponseInit"; data: unknown; init: ResponseInit | null } {
  return typeof v === "object" && v !== null && (v as { type?: unknown }).type === "DataWithResponseInit";
}

async function settle(value: unknown, context: AppLoadContext): Promise<Outcome> {
  const headers = new Headers();
  let status = 200;
  let data: unknown = value;
  if (value instanceof Response) {
    status = value.status;
    value.headers.forEach((v, k) => (k === "set-cookie" ? undefined : headers.set(k, v)));
    for (const c of value.headers.getSetCookie()) headers.append("set-cookie", c);
    const text = await value.text();
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
  } else if (isDataWithInit(value)) {
    status = value.init?.status ?? 200;
    data = value.data;
    new Headers(value.init?.headers).forEach((v, k) => headers.append(k, v));
  }
  for (const c of context.dashboard.setCookies) headers.append("set-cookie", c);
  return { status, headers, data, location: headers.get("location") };
}

/** A browser: a cookie jar and the CSRF token of its pages, using a dashboard that calls `apiUrl`. */
export class Browser {
  cookies = new Map<string, string>();
  csrf = "";

  constructor(readonly apiUrl: string = inject("apiUrl")) {}

  /** The Cookie header this browser would send. */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  /** Remembers the cookies a response set (and forgets expired ones). */
  absorb(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split("=")[1]!) < Date.now()));
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Loads the root route, which hands out the CSRF token (as a page load would). */
  async open(): Promise<void> {
    const out = await this.load(rootLoader as Fn, "/");
    this.csrf = (out.data as { csrf: string }).csrf;
  }

  private async run(fn: Fn, request: Request, params: Record<string, string>): Promise<Outcome> {
    const context = testContext(this.apiUrl);
    let value: unknown;
    try {
      value = await fn({ request, params, context } as LoaderFunctionArgs & ActionFunctionArgs);
    } catch (thrown) {
      if (thrown instanceof Response || isDataWithInit(thrown)) value = thrown;
      else throw thrown;
    }
    const out = await settle(value, context);
    this.absorb(out.headers);
    return out;
  }

  /** Runs a loader for a GET of `path`. */
  load<T = any>(fn: unknown, path: string, params: Record<string, string> = {}): Promise<Outcome<T>> {
    const request = new Request(ORIGIN + path, { headers: { Cookie: this.cookieHeader() } });
    return this.run(fn as Fn, request, params) as Promise<Outcome<T>>;
  }

  /** Runs an action for a form POST to `path`; the CSRF field is added unless `csrf: false`. */
  submit<T = any>(
    fn: unknown,
    path: string,
    fields: Record<string, string | File> = {},
    opts: { params?: Record<string, string>; csrf?: boolean; origin?: string } = {},
  ): Promise<Outcome<T>> {
    const form = new FormData();
    if (opts.csrf !== false) form.set("csrf", this.csrf);
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    const request = new Request(ORIGIN + path, {
      method: "POST",
      body: form,
      headers: { Cookie: this.cookieHeader(), Origin: opts.origin ?? ORIGIN },
    });
    return this.run(fn as Fn, request, opts.params ?? {}) as Promise<Outcome<T>>;
  }
}

/** A load context like the Pages function builds, pointed at the test Worker (or another one). */
export function testContext(apiUrl: string = inject("apiUrl")): AppLoadContext {
  return { cloudflare: { env: { API_URL: apiUrl, SESSION_SECRET } }, dashboard: newRequestState() } as AppLoadContext;
}

let counter = 0;
/** A unique email address. */
export function uniqueEmail(tag = "user"): string {
  counter += 1;
  return `${tag}-${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 7)}@example.test`;
}

/** Calls the API directly (setup that is not what the test is about); `apiUrl` picks another Worker. */
export async function apiCall<T = any>(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string>; apiUrl?: string } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(`${opts.apiUrl ?? inject("apiUrl")}/api/v1${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/** A browser signed up through the dashboard's sign-up action, with its API session for setup. */
export async function signedUpBrowser(name = "Acme", apiUrl: string = inject("apiUrl")) {
  const browser = new Browser(apiUrl);
  await browser.open();
  const email = uniqueEmail(name.toLowerCase());
  const { action } = await import("../app/routes/signup");
  const out = await browser.submit(action, "/signup", { workspace_name: name, email, password: PASSWORD });
  if (out.status !== 302) throw new Error(`sign-up failed: ${out.status} ${JSON.stringify(out.data)}`);
  const session = await apiCall("POST", "/auth/login", { body: { email, password: PASSWORD }, apiUrl });
  return { browser, email, token: session.body.access_token as string, session: session.body, workspaceId: session.body.workspace.id as string };
}

/** Another browser signed in as a new member with `role`, invited through the API. */
export async function memberBrowser(adminToken: string, role: "admin" | "manager" | "viewer", apiUrl: string = inject("apiUrl")) {
  const email = uniqueEmail(role);
  const invite = await apiCall("POST", "/team/invites", { token: adminToken, body: { email, role }, apiUrl });
  const accepted = await apiCall("POST", "/invites/accept", { body: { token: invite.body.token, password: PASSWORD }, apiUrl });
  const browser = new Browser(apiUrl);
  await browser.open();
  const { action } = await import("../app/routes/login");
  const out = await browser.submit(action, "/login", { email, password: PASSWORD });
  if (out.status !== 302) throw new Error(`login failed: ${out.status}`);
  return { browser, email, token: accepted.body.access_token as string, userId: accepted.body.user.id as string };
}
