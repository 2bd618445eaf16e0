/**
 * The signed-in session: an HttpOnly, Secure, SameSite=Lax cookie holding the API's refresh
 * token and the current access token. Nothing about it is readable by page scripts. The
 * access token is renewed with the refresh token when it is about to expire.
 */
import { createCookieSessionStorage, redirect, type AppLoadContext, type Session } from "@remix-run/cloudflare";
import type { Session as ApiSession } from "../../../schema/api";
import { ApiFailure, apiJson } from "./api.server";
import { sessionSecret, type DashboardEnv } from "./env.server";

/** Name of the session cookie. */
export const SESSION_COOKIE = "edgedesk_session";
/** The cookie lives as long as the refresh token it carries (7 days, API.md). */
const SESSION_MAX_AGE_S = 7 * 24 * 3600;
/** Access tokens this close to expiry are renewed first, so no call fails on the way. */
const REFRESH_MARGIN_MS = 60_000;
/**
 * A refresh token is spent on use, and reusing it revokes the sign-in. Requests of one browser
 * that overlap in this isolate share the one refresh for this long.
 */
const REFRESH_SHARE_MS = 30_000;

interface SessionData {
  refresh_token: string;
  access_token: string;
  access_token_expires_at: string;
  user_id: string;
}

/** The session storage for these bindings (cookie signed with SESSION_SECRET). */
export function sessionStorage(env: DashboardEnv) {
  return createCookieSessionStorage<SessionData>({
    cookie: {
      name: SESSION_COOKIE,
      httpOnly: true,
      secure: true, // browsers treat http://localhost as secure, so this holds locally too
      sameSite: "lax",
      path: "/",
      maxAge: SESSION_MAX_AGE_S,
      secrets: [sessionSecret(env)],
    },
  });
}

function store(session: Session<SessionData>, api: ApiSession) {
  session.set("refresh_token", api.refresh_token);
  session.set("access_token", api.access_token);
  session.set("access_token_expires_at", api.access_token_expires_at);
  session.set("user_id", api.user.id);
}

/** A redirect that signs the browser in with the API session just obtained. */
export async function signedInRedirect(context: AppLoadContext, api: ApiSession, to: string) {
  const storage = sessionStorage(context.cloudflare.env);
  const session = await storage.getSession();
  store(session, api);
  return redirect(safeNext(to), { headers: { "Set-Cookie": await storage.commitSession(session) } });
}

/** `Set-Cookie` that ends the session. */
export async function destroySessionCookie(context: AppLoadContext, request: Request): Promise<string> {
  const storage = sessionStorage(context.cloudflare.env);
  return storage.destroySession(await storage.getSession(request.headers.get("Cookie")));
}

/** Only same-site paths are followed after sign-in, never another host. */
export function safeNext(next: string | null | undefined): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/overview";
}

const sharedRefreshes = new Map<string, Promise<ApiSession>>();

function refreshOnce(context: AppLoadContext, refreshToken: string): Promise<ApiSession> {
  let pending = sharedRefreshes.get(refreshToken);
  if (!pending) {
    pending = apiJson<ApiSession>(context, "POST", "/auth/refresh", { body: { refresh_token: refreshToken } });
    sharedRefreshes.set(refreshToken, pending);
    const forget = () => setTimeout(() => sharedRefreshes.delete(refreshToken), REFRESH_SHARE_MS);
    pending.then(forget, forget);
  }
  return pending;
}

/** Sends the browser to the sign-in page, remembering where it was going. */
export async function toLogin(context: AppLoadContext, request: Request): Promise<never> {
  const url = new URL(request.url);
  const next = url.pathname.endsWith(".data") ? url.pathname.slice(0, -5) : url.pathname + url.search;
  throw redirect(`/login?next=${encodeURIComponent(next || "/")}`, {
    headers: { "Set-Cookie": await destroySessionCookie(context, request) },
  });
}

/**
 * The access token of the signed-in user, renewed when it is about to expire (the new cookie
 * goes out with the response). Redirects to the sign-in page when there is no usable session.
 */
export async function accessToken(request: Request, context: AppLoadContext): Promise<string> {
  const memo = context.dashboard.memo;
  const cached = memo.get("access_token") as Promise<string> | undefined;
  if (cached) return cached;
  const pending = (async () => {
    const storage = sessionStorage(context.cloudflare.env);
    const session = await storage.getSession(request.headers.get("Cookie"));
    const refresh = session.get("refresh_token");
    const access = session.get("access_token");
    const expiresAt = session.get("access_token_expires_at");
    if (!refresh) return toLogin(context, request);
    if (access && expiresAt && Date.parse(expiresAt) - Date.now() > REFRESH_MARGIN_MS) return access;
    try {
      const renewed = await refreshOnce(context, refresh);
      store(session, renewed);
      context.dashboard.setCookies.push(await storage.commitSession(session));
      return renewed.access_token;
    } catch (err) {
      if (err instanceof ApiFailure && err.status === 401) return toLogin(context, request);
      throw err;
    }
  })();
  memo.set("access_token", pending);
  return pending;
}

/** The refresh token of the session, if any (for signing out). */
export async function refreshTokenOf(request: Request, context: AppLoadContext): Promise<string | undefined> {
  const session = await sessionStorage(context.cloudflare.env).getSession(request.headers.get("Cookie"));
  return session.get("refresh_token");
}

/** True when the request carries a session cookie (not proof it is valid). */
export async function hasSession(request: Request, context: AppLoadContext): Promise<boolean> {
  return (await refreshTokenOf(request, context)) !== undefined;
}

/**
 * Adds the cookies queued during this request to a resource route's own response (pages and
 * data requests get them from `entry.server`): a renewed session must never be dropped, or
 * its spent refresh token would sign the browser out on the next request.
 */
export function withQueuedCookies(context: AppLoadContext, response: Response): Response {
  for (const cookie of context.dashboard.setCookies) response.headers.append("Set-Cookie", cookie);
  return response;
}
