/**
 * The dashboard server's settings: Pages bindings in production, `wrangler.toml` [vars] or the
 * environment locally. Only the server reads them; the browser gets what it needs from loaders.
 */

/** Bindings and variables of the dashboard's Pages project. */
export interface DashboardEnv {
  /** Base URL of the Worker API the server calls, e.g. `https://api.example.com`. */
  API_URL?: string;
  /** Base URL the browser uses for the API's WebSockets and the widget script; defaults to API_URL. */
  PUBLIC_API_URL?: string;
  /** Signs the session and CSRF cookies; at least 32 characters. Required in every environment. */
  SESSION_SECRET?: string;
  /** `development` or `production`. */
  ENVIRONMENT?: string;
}

import widgetPackage from "../../../widget/package.json";

/** Path of the widget loader on the API's origin; the widget build puts each version in its own folder. */
export const WIDGET_LOADER_PATH = `/widget/v${widgetPackage.version}/widget.js`;

/** Where the local Worker listens (`npm start`). */
export const DEFAULT_API_URL = "http://127.0.0.1:8787";
const MIN_SECRET_CHARS = 32;

/** Raised when the dashboard lacks a setting it cannot run without; its message names it, never a value. */
export class DashboardMisconfigured extends Error {
  constructor(readonly variable: string, problem: string) {
    super(`the dashboard is misconfigured: ${variable} ${problem}`);
    this.name = "DashboardMisconfigured";
  }
}

/** The API base URL, without a trailing slash. */
export function apiBase(env: DashboardEnv): string {
  return (env.API_URL || DEFAULT_API_URL).replace(/\/+$/, "");
}

/** The API base URL as the browser reaches it. */
export function publicApiBase(env: DashboardEnv): string {
  return (env.PUBLIC_API_URL || apiBase(env)).replace(/\/+$/, "");
}

/**
 * What is wrong with SESSION_SECRET, or null when it is usable. There is no stand-in in any
 * environment: a key written in the source would let anyone forge session and CSRF cookies, so
 * `npm start` and the tests generate a random one.
 */
export function sessionSecretProblem(env: DashboardEnv): string | null {
  const secret = env.SESSION_SECRET;
  if (!secret) return "is not set";
  if (secret.length < MIN_SECRET_CHARS) return `is shorter than ${MIN_SECRET_CHARS} characters`;
  return null;
}

/** The cookie-signing secret; throws `DashboardMisconfigured` when it is missing or too short. */
export function sessionSecret(env: DashboardEnv): string {
  const problem = sessionSecretProblem(env);
  if (problem) throw new DashboardMisconfigured("SESSION_SECRET", `${problem}; set it with \`wrangler pages secret put SESSION_SECRET\``);
  return env.SESSION_SECRET!;
}

/**
 * The answer to every request while a required setting is missing: 503 naming the variable (never
 * a value), instead of pages that cannot sign anyone in. Null when the dashboard can run.
 */
export function misconfigurationResponse(env: DashboardEnv): Response | null {
  const problem = sessionSecretProblem(env);
  if (!problem) return null;
  const message = new DashboardMisconfigured("SESSION_SECRET", problem).message;
  return new Response(`${message}. Set SESSION_SECRET (at least ${MIN_SECRET_CHARS} random characters) and restart.\n`, {
    status: 503,
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  });
}
