/**
 * CSRF protection for every form: a random token in a signed HttpOnly cookie, repeated in a
 * hidden field that only our own pages can read (double submit). The session cookie is also
 * SameSite=Lax, and a cross-site Origin is refused outright.
 */
import { createCookie, type AppLoadContext } from "@remix-run/cloudflare";
import { sessionSecret } from "./env.server";

/** Name of the hidden form field carrying the token. */
export const CSRF_FIELD = "csrf";
const CSRF_COOKIE = "edgedesk_csrf";
const TOKEN_BYTES = 32;

function csrfCookie(context: AppLoadContext) {
  return createCookie(CSRF_COOKIE, {
    httpOnly: true,
    secure: true,
    sameSite: "lax",
    path: "/",
    secrets: [sessionSecret(context.cloudflare.env)],
  });
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(TOKEN_BYTES));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The request's CSRF token; a new one is made (and its cookie set) when there is none. */
export async function csrfToken(request: Request, context: AppLoadContext): Promise<string> {
  const cookie = csrfCookie(context);
  const existing: unknown = await cookie.parse(request.headers.get("Cookie"));
  if (typeof existing === "string" && existing.length > 20) return existing;
  const token = randomToken();
  context.dashboard.setCookies.push(await cookie.serialize(token));
  return token;
}

function equal(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Throws a 403 unless the form carries the token of this browser and comes from this site. */
export async function verifyCsrf(request: Request, context: AppLoadContext, form: FormData): Promise<void> {
  const origin = request.headers.get("Origin");
  if (origin && origin !== "null" && origin !== new URL(request.url).origin) {
    throw new Response("This form was sent from another site.", { status: 403 });
  }
  const expected: unknown = await csrfCookie(context).parse(request.headers.get("Cookie"));
  const sent = form.get(CSRF_FIELD);
  if (typeof expected !== "string" || typeof sent !== "string" || !equal(expected, sent)) {
    throw new Response("The form expired. Reload the page and try again.", { status: 403 });
  }
}
