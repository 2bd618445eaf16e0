import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import type { ApiResponse, CallOptions } from "./helpers";

/**
 * Calls the Worker's fetch handler with `overrides` on top of the test bindings (the operator's
 * workspace, alert destinations), waiting for its `waitUntil` work, and parses the JSON answer.
 */
export async function callWith<T = any>(overrides: Partial<Env>, method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("content-type", "application/json");
  }
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(`http://api.test${path}`, { method, headers, body }), { ...env, ...overrides }, ctx);
  const text = await res.text();
  await waitOnExecutionContext(ctx);
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** A window of time no other test writes metric points into: a random minute-aligned hour in 2001–2004. */
export function quietHour(): number {
  const start = Date.UTC(2001, 0, 1);
  return start + Math.floor(Math.random() * 3 * 365 * 24) * 3_600_000;
}
