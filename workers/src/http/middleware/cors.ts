import { createMiddleware } from "hono/factory";
import { isKnownWidgetOrigin } from "../../auth/origins";
import { createDb } from "../../storage/db";
import type { AppEnv } from "../app-env";

/** Routes a widget on a customer's site calls from the browser; no other route allows CORS. */
const VISITOR_ROUTE = /^\/api\/v1\/conversations(\/[^/]+(\/(messages|satisfaction|token|attachments(\/[^/]+)?))?)?$/;
const ALLOWED_METHODS = "GET, POST, OPTIONS";
const ALLOWED_HEADERS = "Authorization, Content-Type, X-Request-Id, traceparent";
const EXPOSED_HEADERS = "X-Request-Id, traceparent, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset";
const PREFLIGHT_MAX_AGE_S = "600"; // browsers cache the preflight for 10 minutes

/**
 * CORS for visitor routes only, and only for origins some assistant allows. Each request is
 * then authorised against its own key's origin list by `authenticate`.
 */
export const visitorCors = createMiddleware<AppEnv>(async (c, next) => {
  const origin = c.req.header("origin");
  const path = new URL(c.req.url).pathname;
  if (!origin || !VISITOR_ROUTE.test(path)) return next();

  const allowed = await isKnownWidgetOrigin(createDb(c.env.DB), origin);
  if (c.req.method === "OPTIONS") {
    const headers = new Headers({ Vary: "Origin" });
    if (allowed) {
      headers.set("Access-Control-Allow-Origin", origin);
      headers.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
      headers.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
      headers.set("Access-Control-Max-Age", PREFLIGHT_MAX_AGE_S);
    }
    return new Response(null, { status: 204, headers });
  }
  await next();
  c.res.headers.append("Vary", "Origin");
  if (allowed) {
    c.res.headers.set("Access-Control-Allow-Origin", origin);
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  }
});
