import type { DashboardEnv } from "./app/lib/env.server";

/** What one request's loaders and actions share: cookies to set and memoised API reads. */
export interface RequestState {
  /** `Set-Cookie` values added to the response by `entry.server` (a refreshed session, say). */
  setCookies: string[];
  /** Memoised per request, so a page's loaders share one read. */
  memo: Map<string, Promise<unknown>>;
}

declare module "@remix-run/cloudflare" {
  interface AppLoadContext {
    cloudflare: { env: DashboardEnv };
    dashboard: RequestState;
  }
}

/** A fresh state for one request. */
export function newRequestState(): RequestState {
  return { setCookies: [], memo: new Map() };
}

/** Builds the load context from the Pages (or dev proxy) context: the bindings plus request state. */
export function getLoadContext({ context }: { request: Request; context: { cloudflare: { env: unknown } } }) {
  return { cloudflare: { ...context.cloudflare, env: context.cloudflare.env as DashboardEnv }, dashboard: newRequestState() };
}
