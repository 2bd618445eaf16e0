import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";

/** Two years, the preload list's minimum; browsers ignore it on plain-HTTP local development. */
const HSTS = "max-age=63072000; includeSubDomains";

/**
 * The API's answers are data, never documents: nothing may run, load or frame them, even if a
 * browser is tricked into rendering one (`sandbox` also gives it an opaque origin).
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; sandbox";

/**
 * Pages the Worker itself renders (none today; the demo page and widget come from `public/`,
 * whose headers are in `public/_headers`): same-origin scripts only, the API over fetch and
 * WebSocket, and never framed.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers every response carries, whatever it is. */
const ALWAYS: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": HSTS,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/**
 * Security headers on every response of the Worker: HSTS, no MIME sniffing, no framing
 * (`X-Frame-Options` and CSP `frame-ancestors`), no referrer, and a Content-Security-Policy
 * that fits what the response is. A header a route set itself is left as it is. WebSocket
 * upgrades are skipped: their headers belong to the handshake and cannot be changed.
 */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (c.res.webSocket || c.res.status === 101) return;
  const headers = c.res.headers;
  for (const [name, value] of Object.entries(ALWAYS)) if (!headers.has(name)) headers.set(name, value);
  if (!headers.has("Content-Security-Policy")) {
    const html = (headers.get("content-type") ?? "").toLowerCase().startsWith("text/html");
    headers.set("Content-Security-Policy", html ? PAGE_CSP : API_CSP);
  }
});
