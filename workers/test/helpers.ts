import { exports } from "cloudflare:workers";

/** A JSON response with its parsed body. */
export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Options of one API call. */
export interface CallOptions {
  token?: string;
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

/** Calls the Worker through its real fetch handler and parses the JSON answer. */
// Bodies are checked with `expect` shapes, so tests read them loosely typed.
export async function call<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined = opts.rawBody;
  if (body === undefined && opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await exports.default.fetch(new Request(`http://api.test${path}`, { method, headers, body }));
  const text = await res.text();
  let parsed: unknown = null;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

let counter = 0;

/** A unique email for a test user. */
export function uniqueEmail(tag = "user"): string {
  counter += 1;
  return `${tag}-${Date.now()}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

export const PASSWORD = "correct horse battery staple";

/** A fresh workspace with its admin signed in. */
export async function signUp(name = "Acme") {
  const email = uniqueEmail(name.toLowerCase().replace(/\W/g, ""));
  const res = await call("POST", "/api/v1/workspaces", {
    body: { workspace_name: name, company_name: `${name} Inc`, email, password: PASSWORD },
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...res.body, email } as {
    workspace: { id: string };
    user: { id: string };
    access_token: string;
    refresh_token: string;
    email: string;
  };
}

/** Creates an assistant with the given token. */
export async function createAssistant(token: string, extra: Record<string, unknown> = {}) {
  const res = await call("POST", "/api/v1/assistants", { token, body: { name: "Helper", ...extra } });
  if (res.status !== 201) throw new Error(`assistant create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; [k: string]: unknown };
}

/** Creates a secret key of `scope` and returns its full value and id. */
export async function createSecretKey(token: string, scope: "admin" | "manager" | "viewer") {
  const res = await call("POST", "/api/v1/api-keys", { token, body: { name: `${scope} key`, scope } });
  if (res.status !== 201) throw new Error(`key create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; key: string; [k: string]: unknown };
}
