/**
 * The dashboard's client of the public API: every read and write goes through here, with the
 * signed-in user's access token, exactly as any other API client would.
 */
import type { AppLoadContext } from "@remix-run/cloudflare";
import { apiBase } from "./env.server";

/** A non-2xx answer of the API, in its error shape. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly retryAfter?: string | null,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

/** Options of one API call. */
export interface CallOptions {
  token?: string | undefined;
  /** JSON body. */
  body?: unknown;
  /** Multipart body, sent as is. */
  form?: FormData;
  query?: Record<string, string | number | undefined | null>;
  /** Extra headers, e.g. a visitor's Origin in tests. */
  headers?: Record<string, string>;
}

/** Calls the API and returns the raw response (for downloads and streams). */
export async function apiFetch(context: AppLoadContext, method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const url = new URL(`${apiBase(context.cloudflare.env)}/api/v1${path}`);
  for (const [k, v] of Object.entries(opts.query ?? {})) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  const headers = new Headers({ Accept: "application/json", ...opts.headers });
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined;
  if (opts.form) body = opts.form;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("Content-Type", "application/json");
  }
  try {
    return await fetch(url, { method, headers, body });
  } catch (err) {
    throw new ApiFailure(502, "upstream_error", `the API at ${url.origin} could not be reached`, {
      cause: err instanceof Error ? err.message : String(err),
    });
  }
}

/** Calls the API and parses its JSON; throws `ApiFailure` for any error status. */
export async function apiJson<T>(context: AppLoadContext, method: string, path: string, opts: CallOptions = {}): Promise<T> {
  const res = await apiFetch(context, method, path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | null)?.error;
    throw new ApiFailure(
      res.status,
      error?.code ?? "upstream_error",
      error?.message ?? `the API answered ${res.status}`,
      error?.details,
      res.headers.get("retry-after"),
    );
  }
  return parsed as T;
}

/** Field name → message, from the API's validation details, for errors shown next to fields. */
export function fieldErrors(failure: ApiFailure): Record<string, string> {
  const fields: Record<string, string> = {};
  const issues = failure.details?.issues;
  if (Array.isArray(issues)) {
    for (const issue of issues as { path?: unknown[]; message?: string }[]) {
      const key = (issue.path ?? []).map(String).join(".");
      if (key && !fields[key]) fields[key] = issue.message ?? "is invalid";
    }
  }
  const field = failure.details?.field;
  if (typeof field === "string" && !fields[field]) fields[field] = failure.message;
  return fields;
}
