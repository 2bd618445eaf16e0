/**
 * One HTTP request of an action: checked against the outbound policy at the first URL and at
 * every redirect hop, with a time limit per attempt, a size limit on the answer, a retry only
 * for reads that change nothing, and the action's secret headers dropped when a redirect
 * leaves the origin. It reports what happened; it never makes up an answer.
 */
import { assertOutboundAllowed, BlockedDestinationError, type OutboundPolicy } from "../lib/network-policy";
import { readLimited } from "../lib/read-limited";

/** Largest answer read, in bytes: an order's status, not a data export. */
export const MAX_RESPONSE_BYTES = 256 * 1024;
/** Redirect hops followed before giving up. */
const MAX_REDIRECTS = 5;
/** Attempts of a retryable read (the first and one more). */
const READ_ATTEMPTS = 2;
/** Statuses a read is tried again on: the service was briefly unable, not wrong. */
const RETRY_STATUSES = new Set([429, 500, 502, 503, 504]);

/** What to send. */
export interface HttpCallSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  /** JSON body, or null for none. */
  body: unknown;
  /** The action's own headers (secrets). */
  headers: Record<string, string>;
  timeoutMs: number;
  /** True for idempotent reads (GET, not mutating): a failed attempt is tried once more. */
  retry: boolean;
}

/** What came back. */
export type HttpCallOutcome =
  | { ok: true; status: number; body: unknown }
  | { ok: false; status: number | null; error: string; retryable: boolean };

async function once(spec: HttpCallSpec, policy: OutboundPolicy, fetcher: typeof fetch): Promise<HttpCallOutcome> {
  let current: URL;
  try {
    current = assertOutboundAllowed(spec.url, policy);
  } catch (err) {
    if (err instanceof BlockedDestinationError) return { ok: false, status: null, error: `refused destination: ${err.message}`, retryable: false };
    throw err;
  }
  const origin = current.origin;
  let method: string = spec.method;
  let body: string | null = spec.body === null || spec.body === undefined ? null : JSON.stringify(spec.body);
  const signal = AbortSignal.timeout(spec.timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const headers = new Headers({ accept: "application/json", "user-agent": "EdgeDesk-Actions/1" });
      // Secrets go only to the origin the business named; a redirect elsewhere gets none.
      if (current.origin === origin) for (const [k, v] of Object.entries(spec.headers)) headers.set(k, v);
      if (body !== null) headers.set("content-type", "application/json");
      const res = await fetcher(current.toString(), { method, headers, body, redirect: "manual", signal });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
      if (location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS) return { ok: false, status: res.status, error: `more than ${MAX_REDIRECTS} redirects`, retryable: false };
        try {
          current = assertOutboundAllowed(new URL(location, current), policy);
        } catch (err) {
          const reason = err instanceof Error ? err.message : String(err);
          return { ok: false, status: res.status, error: `redirected to a refused destination: ${reason}`, retryable: false };
        }
        if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          body = null;
        }
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = await readLimited(res.body, MAX_RESPONSE_BYTES, () => new RangeError("too large"));
      } catch (err) {
        if (err instanceof RangeError) return { ok: false, status: res.status, error: `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`, retryable: false };
        throw err;
      }
      if (res.status < 200 || res.status >= 300) {
        return { ok: false, status: res.status, error: `the service answered ${res.status}`, retryable: RETRY_STATUSES.has(res.status) };
      }
      const text = new TextDecoder().decode(bytes);
      if (text.trim() === "") return { ok: true, status: res.status, body: null };
      try {
        return { ok: true, status: res.status, body: JSON.parse(text) as unknown };
      } catch {
        return { ok: true, status: res.status, body: text };
      }
    }
  } catch (err) {
    if (signal.aborted) return { ok: false, status: null, error: `no answer within ${spec.timeoutMs} ms`, retryable: false };
    return { ok: false, status: null, error: `the service could not be reached (${err instanceof Error ? err.message : String(err)})`, retryable: true };
  }
}

/** Sends the request (and, for a retryable read that failed briefly, once more). */
export async function callHttp(spec: HttpCallSpec, policy: OutboundPolicy, fetcher: typeof fetch = fetch): Promise<HttpCallOutcome> {
  let outcome = await once(spec, policy, fetcher);
  for (let attempt = 1; attempt < (spec.retry ? READ_ATTEMPTS : 1) && !outcome.ok && outcome.retryable; attempt++) {
    outcome = await once(spec, policy, fetcher);
  }
  return outcome;
}
