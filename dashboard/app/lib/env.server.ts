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
  /** Signs the session and CSRF cookies; at least 32 characters. Required in production. */
  SESSION_SECRET?: string;
  /** `production` refuses to run without a real SESSION_SECRET. */
  ENVIRONMENT?: string;
}

import widgetPackage from "../../../widget/package.json";

/** Path of the widget loader on the API's origin; the widget build puts each version in its own folder. */
export const WIDGET_LOADER_PATH = `/widget/v${widgetPackage.version}/widget.js`;

/** Where the local Worker listens (`npm start`). */
export const DEFAULT_API_URL = "http://127.0.0.1:8787";
const MIN_SECRET_CHARS = 32;
/**
 * Stands in for SESSION_SECRET outside production so a fresh checkout runs without secrets.
 * It is public (it is in this file): production refuses to start with it.
 */
const DEVELOPMENT_SESSION_SECRET = "edgedesk-dashboard-development-only-session-secret";

/** The API base URL, without a trailing slash. */
export function apiBase(env: DashboardEnv): string {
  return (env.API_URL || DEFAULT_API_URL).replace(/\/+$/, "");
}

/** The API base URL as the browser reaches it. */
export function publicApiBase(env: DashboardEnv): string {
  return (env.PUBLIC_API_URL || apiBase(env)).replace(/\/+$/, "");
}

/** The cookie-signing secret; refuses a production deployment without a real one. */
export function sessionSecret(env: DashboardEnv): string {
  const secret = env.SESSION_SECRET;
  if (secret && secret.length >= MIN_SECRET_CHARS) return secret;
  if (env.ENVIRONMENT === "production") {
    throw new Error(`SESSION_SECRET must be set to at least ${MIN_SECRET_CHARS} characters in production`);
  }
  return DEVELOPMENT_SESSION_SECRET;
}
