import { createRoute } from "@hono/zod-openapi";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Context } from "hono";
import { SessionSchema, SsoConfigSchema, SsoConfigUpdateBody, SsoExchangeBody, SsoStartQuery } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { findSsoConfig, saveSsoConfig, ssoConfigForDomain, ssoConfigForWorkspace, toSsoConfig } from "../../auth/sso-config";
import { exchangeSsoCode, finishSsoLogin, startSsoLogin } from "../../auth/sso-flow";
import { tokenSecret } from "../../auth/tokens";
import { ApiError } from "../../lib/errors";
import { isId } from "../../lib/ids";
import { createDb } from "../../storage/db";
import type { AppEnv } from "../app-env";
import { authenticate } from "../middleware/authenticate";
import { limitCredentialCheck } from "../rate-limit/auth-limiter";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

/** Path of the provider's redirect back to the Worker; the admin registers it with the provider. */
const CALLBACK_PATH = "/api/v1/auth/sso/callback";
/** The cookie binding a sign-in to the browser that started it; only the SSO paths ever see it. */
const BROWSER_COOKIE = "edgedesk_sso";
const BROWSER_COOKIE_PATH = "/api/v1/auth/sso";
const BROWSER_COOKIE_MAX_AGE_S = 600; // as long as a sign-in may take (sso-flow's LOGIN_TTL_MS)

/** The redirect URI of this deployment, as the provider must know it. */
function redirectUriOf(c: Context<AppEnv>): string {
  return new URL(CALLBACK_PATH, c.req.url).toString();
}

/** A dashboard path to open after signing in; anything else (another host) is dropped. */
function safeNextPath(next: string | undefined): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : null;
}

/** Where the dashboard trades the one-time code for its session cookie. */
function dashboardCompleteUrl(env: Env, code: string, next: string | null): string {
  const url = new URL(`${(env.DASHBOARD_URL || "http://localhost:8788").replace(/\/+$/, "")}/sso/complete`);
  url.searchParams.set("code", code);
  if (next) url.searchParams.set("next", next);
  return url.toString();
}

/**
 * Runs a step of the browser flow. A browser (it asks for HTML) that meets an error is sent to the
 * dashboard's sign-in page with the message, rather than shown the API's JSON; other clients
 * get the error as usual.
 */
async function inBrowserFlow(c: Context<AppEnv>, step: () => Promise<Response>): Promise<Response> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof ApiError) || !(c.req.header("accept") ?? "").includes("text/html")) throw err;
    const url = new URL(`${(c.env.DASHBOARD_URL || "http://localhost:8788").replace(/\/+$/, "")}/login`);
    url.searchParams.set("sso_error", err.message);
    return c.redirect(url.toString(), 302);
  }
}

/**
 * Single sign-on (OpenID Connect): admins configure the workspace's provider; anyone starts a
 * sign-in by workspace id, email or domain, the provider sends them back to the callback, and
 * the dashboard trades the one-time code it is handed for a session.
 */
export const ssoRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/workspace/sso",
      tags: ["workspace"],
      summary: "The workspace's single sign-on settings (the client secret is never returned)",
      middleware: [authenticate({ minRole: "admin" })],
      responses: { 200: json(SsoConfigSchema), ...errorResponses(401, 403) },
    }),
    async (c) => {
      const row = await findSsoConfig(createDb(c.env.DB), c.get("principal").workspaceId);
      return c.json(toSsoConfig(row, redirectUriOf(c)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/workspace/sso",
      tags: ["workspace"],
      summary: "Save the single sign-on settings; `required` (enterprise plan) refuses password sign-in except for the break-glass admin",
      middleware: [authenticate({ minRole: "admin" })],
      request: { body: jsonBody(SsoConfigUpdateBody) },
      responses: { 200: json(SsoConfigSchema), ...errorResponses(400, 401, 402, 403) },
    }),
    async (c) => {
      const p = c.get("principal");
      const body = c.req.valid("json");
      const actingUserId = p.kind === "user" ? p.userId : null;
      const { row, secretChanged, sessionsEnded } = await saveSsoConfig(c.env, createDb(c.env.DB), p.workspaceId, actingUserId, body);
      await recordAudit(
        c.env,
        p,
        {
          action: "workspace.sso_updated",
          targetType: "workspace",
          targetId: p.workspaceId,
          // Whether the secret changed, never its value.
          metadata: {
            enabled: row.enabled,
            issuer: row.issuer,
            client_id: row.client_id,
            allowed_domains: row.allowed_domains,
            default_role: row.default_role,
            required: row.required,
            client_secret_changed: secretChanged,
            ...(sessionsEnded > 0 ? { sessions_ended: sessionsEnded } : {}),
          },
        },
        auditContext(c),
      );
      return c.json(toSsoConfig(row, redirectUriOf(c)), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/sso/start",
      tags: ["auth"],
      summary: "Start signing in with the workspace's identity provider (redirects there)",
      description:
        "Give exactly one of `workspace` (its id), `email` or `domain`. Answers 302 to the provider with state, nonce and a PKCE challenge, " +
        "and sets a short-lived cookie binding the sign-in to this browser. Limited per client address (429 `rate_limited`).",
      request: { query: SsoStartQuery },
      responses: { 302: { description: "to the identity provider" }, ...errorResponses(400, 404, 409, 429, 502) },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const db = createDb(c.env.DB);
      return inBrowserFlow(c, async () => {
        const start = await limitCredentialCheck(c, {}, async () => {
          let config;
          if (query.workspace) {
            // A malformed id finds nothing, like an unknown one (the lookup's own 404).
            config = await ssoConfigForWorkspace(db, isId("workspace", query.workspace) ? query.workspace : "");
          } else {
            const domain = query.domain ?? query.email!.slice(query.email!.lastIndexOf("@") + 1);
            config = await ssoConfigForDomain(db, domain);
          }
          return startSsoLogin(c.env, db, config, { redirectUri: redirectUriOf(c), nextPath: safeNextPath(query.next) });
        });
        setCookie(c, BROWSER_COOKIE, start.browserToken, {
          path: BROWSER_COOKIE_PATH,
          httpOnly: true,
          secure: new URL(c.req.url).protocol === "https:",
          sameSite: "Lax", // sent on the provider's top-level redirect back, never on other sites' requests
          maxAge: BROWSER_COOKIE_MAX_AGE_S,
        });
        return c.redirect(start.authorizationUrl, 302);
      });
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/auth/sso/callback",
      tags: ["auth"],
      summary: "Where the identity provider sends the browser back; redirects to the dashboard with a one-time code",
      description:
        "Checks state (and that this browser started the sign-in), trades the code with the PKCE verifier, validates the ID token " +
        "(issuer, audience, expiry, nonce, signature against the provider's JWKS), requires a verified email of an allowed domain, and " +
        "makes a new person a member with the workspace's default role. Then 302 to the dashboard's `/sso/complete?code=…`.",
      responses: { 302: { description: "to the dashboard" }, ...errorResponses(400, 401, 403, 404, 429, 502) },
    }),
    async (c) => {
      const db = createDb(c.env.DB);
      const browserToken = getCookie(c, BROWSER_COOKIE) ?? null;
      deleteCookie(c, BROWSER_COOKIE, { path: BROWSER_COOKIE_PATH });
      return inBrowserFlow(c, async () => {
        const done = await limitCredentialCheck(c, {}, () => finishSsoLogin(c.env, db, new URL(c.req.url), browserToken));
        const config = await ssoConfigForWorkspace(db, done.workspaceId);
        await recordAudit(
          c.env,
          { kind: "user", workspaceId: done.workspaceId, userId: done.user.id, role: done.user.role },
          {
            action: done.created ? "user.sso_joined" : "user.sso_signed_in",
            targetType: "user",
            targetId: done.user.id,
            metadata: { issuer: config.issuer, subject: done.subject, role: done.user.role },
          },
          auditContext(c),
        );
        return c.redirect(dashboardCompleteUrl(c.env, done.exchangeCode, done.nextPath), 302);
      });
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/auth/sso/exchange",
      tags: ["auth"],
      summary: "Trade the callback's one-time code (valid one minute) for a session",
      request: { body: jsonBody(SsoExchangeBody) },
      responses: { 200: json(SessionSchema, "signed in"), ...errorResponses(400, 401, 429, 503) },
    }),
    async (c) => {
      tokenSecret(c.env);
      const { session } = await limitCredentialCheck(c, {}, () => exchangeSsoCode(createDb(c.env.DB), c.env, c.req.valid("json").code));
      return c.json(session, 200);
    },
  );
