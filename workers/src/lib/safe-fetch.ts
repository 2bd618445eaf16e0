/**
 * `fetch` for URLs a tenant chose (pages to import, provider base URLs, media links): the URL
 * and every redirect hop are checked against the outbound policy before a request is made.
 */
import { assertOutboundAllowed, BlockedDestinationError, type OutboundPolicy } from "./network-policy";

/** Redirect hops followed before giving up; real services rarely chain more than two. */
export const MAX_SAFE_REDIRECTS = 5;

/** Headers that carry credentials and must not follow a redirect to another origin. */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/**
 * Fetches `url` if the policy allows it. With `redirect: "manual"` the 3xx answer is returned
 * as is (the caller follows it, calling this again for each hop); otherwise redirects are
 * followed here, one hop at a time, each checked like the first URL, with credentials dropped
 * when a hop leaves the origin. Throws `BlockedDestinationError` for a refused URL or hop.
 */
export async function safeFetch(
  url: string | URL,
  init: RequestInit,
  policy: OutboundPolicy,
  fetcher: typeof fetch = fetch,
): Promise<Response> {
  let current = assertOutboundAllowed(url, policy);
  if (init.redirect === "manual" || init.redirect === "error") return fetcher(current.toString(), init);

  let method = (init.method ?? "GET").toUpperCase();
  let body = init.body;
  const headers = new Headers(init.headers);
  for (let hop = 0; ; hop++) {
    const res = await fetcher(current.toString(), { ...init, method, body, headers, redirect: "manual" });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (!location) return res;
    if (hop >= MAX_SAFE_REDIRECTS) throw new TypeError(`more than ${MAX_SAFE_REDIRECTS} redirects from ${new URL(url).host}`);
    let next: URL;
    try {
      next = new URL(location, current);
    } catch {
      throw new TypeError(`a redirect from ${current.host} names no valid URL`);
    }
    try {
      next = assertOutboundAllowed(next, policy);
    } catch (err) {
      if (err instanceof BlockedDestinationError) throw new BlockedDestinationError(`redirected from ${current.host} to a refused address: ${err.message}`, err.host);
      throw err;
    }
    await res.body?.cancel();
    // As browsers do: 303, and 301/302 after a POST, continue as a GET without the body.
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
      method = "GET";
      body = null;
      headers.delete("content-type");
    }
    if (next.origin !== current.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    current = next;
  }
}
