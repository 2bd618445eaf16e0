import { env } from "cloudflare:test";
import { call, createAssistant, signUp } from "./helpers";

/** What the actions tests share: tenants, action creation, test calls and the fake services' counters. */

/** Base URL of the fake business services (global setup). */
export const base = () => env.ACTIONS_FAKE_URL;
/** A short random tag for names and keys. */
export const uniq = () => Math.random().toString(36).slice(2, 10);
/** Requests the fake services received under `key`. */
export const hits = async (key: string) => ((await (await fetch(`${base()}/__hits/${encodeURIComponent(key)}`)).json()) as { hits: number }).hits;

/** A signed-up workspace with one assistant. */
export interface Tenant {
  token: string;
  workspaceId: string;
  assistantId: string;
}

/** Signs up a workspace with one assistant. */
export async function tenant(name: string): Promise<Tenant> {
  const s = await signUp(name);
  const a = await createAssistant(s.access_token);
  return { token: s.access_token, workspaceId: s.workspace.id, assistantId: a.id };
}

/** Creates an action through the API (201 or throws). */
export async function createAction(t: Tenant, body: Record<string, unknown>) {
  const res = await call("POST", `/api/v1/assistants/${t.assistantId}/actions`, { token: t.token, body });
  if (res.status !== 201) throw new Error(`action create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string; [k: string]: unknown };
}

/** `POST /actions/:id/test`. */
export const testCall = (t: Tenant, id: string, body: Record<string, unknown>) => call("POST", `/api/v1/actions/${id}/test`, { token: t.token, body });

/**
 * The order lookup a business defines: the visitor's customer id comes from the verified
 * identity (`x-identity`), whatever the model or the visitor sends.
 */
export const customerOrder = () => ({
  name: "get_order_status",
  description: "Look up the status of one of the visitor's orders",
  method: "GET",
  url: `${base()}/customers/{customer_id}/orders/{order_number}`,
  parameters: {
    type: "object",
    properties: { order_number: { type: "string", pattern: "^\\d{4,}$" }, customer_id: { type: "string", "x-identity": "user_id" } },
    required: ["order_number", "customer_id"],
  },
  response_fields: ["status", "carrier", "eta"],
  requires_verified: true,
});

const encoder = new TextEncoder();

/** HMAC-SHA256 of `userId` under `secret`, lower-case hex: what the business's backend computes. */
export async function userHash(secret: string, userId: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(userId)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
