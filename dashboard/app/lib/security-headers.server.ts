/**
 * The dashboard's security headers: the same hardening the Worker's responses carry
 * (workers/src/http/middleware/security-headers.ts), and on documents a Content-Security-Policy
 * that lets only this origin's scripts run, plus the inline scripts Remix writes into the page
 * (its context and scroll restoration), which carry this response's nonce.
 */
import { publicApiBase, type DashboardEnv } from "./env.server";

/** Two years, the preload list's minimum; browsers ignore it on plain-HTTP local development. */
const HSTS = "max-age=63072000; includeSubDomains";

/**
 * Pages Stripe hosts, where the billing page's forms send an admin (Checkout, the Billing
 * Portal); `form-action` also governs where a submitted form may be redirected.
 */
const STRIPE_HOSTED_PAGES = ["https://checkout.stripe.com", "https://billing.stripe.com"];

/** Headers every response of the dashboard carries, whatever it is. */
export const ALWAYS_HEADERS: Readonly<Record<string, string>> = {
  "Strict-Transport-Security": HSTS,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  // Not `no-referrer` as on the API: a form post would then send `Origin: null`, and the
  // dashboard refuses posts whose Origin is not its own.
  "Referrer-Policy": "same-origin",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/** A fresh nonce for one document's inline scripts: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The origins the browser talks to besides this one: the API as browsers reach it
 * (`PUBLIC_API_URL`, else `API_URL`), over HTTP and over its WebSocket scheme (the live view).
 */
export function apiConnectSources(env: DashboardEnv): string[] {
  try {
    const api = new URL(publicApiBase(env));
    return [api.origin, `${api.protocol === "https:" ? "wss:" : "ws:"}//${api.host}`];
  } catch {
    return [];
  }
}

/** The Content-Security-Policy of a document whose inline scripts carry `nonce`. */
export function documentCsp(nonce: string, env: DashboardEnv): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    // React writes `style` attributes (chart sizes, branding colours in the widget preview).
    "style-src 'self' 'unsafe-inline'",
    // Assistant avatars are https URLs of the business's choosing.
    "img-src 'self' data: https:",
    "font-src 'self'",
    ["connect-src 'self'", ...apiConnectSources(env)].join(" "),
    "object-src 'none'",
    "base-uri 'none'",
    ["form-action 'self'", ...STRIPE_HOSTED_PAGES].join(" "),
    "frame-ancestors 'none'",
  ].join("; ");
}

/** Adds the headers every response carries, leaving any a route set itself. */
export function applySecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(ALWAYS_HEADERS)) if (!headers.has(name)) headers.set(name, value);
}
