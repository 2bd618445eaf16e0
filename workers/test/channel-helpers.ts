import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { addKnowledge, SHOP_ARTICLES } from "./conversation-helpers";
import { call, createAssistant, signUp } from "./helpers";
import type { ProviderRequest } from "./providers-fixtures";

let counter = 0;

/** A scenario name no other test uses, so the fake server's log and scripts are this test's own. */
export function scenario(tag: string): string {
  counter += 1;
  return `${tag}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}`;
}

/** Base URL of the fake server for one scenario and its script (`ok`, `500,ok`, `429:1,ok`…). */
export function fakeBase(name: string, steps = "ok"): string {
  return `${env.PROVIDERS_FAKE_URL}/${name}/${steps}`;
}

/** Every provider request a scenario made so far. */
export async function providerLog(name: string): Promise<ProviderRequest[]> {
  const res = await fetch(`${env.PROVIDERS_FAKE_URL}/${name}/log`);
  return (await res.json()) as ProviderRequest[];
}

/** Waits until the scenario's log holds `count` requests matching `pred` (the queue works in the background). */
export async function waitForRequests(
  name: string,
  pred: (r: ProviderRequest) => boolean,
  opts: { count?: number; timeoutMs?: number } = {},
): Promise<ProviderRequest[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 12_000);
  for (;;) {
    const hits = (await providerLog(name)).filter(pred);
    if (hits.length >= (opts.count ?? 1)) return hits;
    if (Date.now() > deadline) throw new Error(`timed out waiting for provider requests of ${name}: ${JSON.stringify(await providerLog(name))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for `check` to stop throwing. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 12_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A workspace whose assistant knows the shop articles. */
export async function shopWorkspace(name = "Shop") {
  const session = await signUp(name);
  const assistant = await createAssistant(session.access_token, { escalation_threshold: 0.2 });
  await addKnowledge(session.workspace.id, assistant.id, SHOP_ARTICLES);
  return { session, assistant, token: session.access_token, workspaceId: session.workspace.id };
}

/** A workspace made by `shopWorkspace`. */
export type ShopWorkspace = Awaited<ReturnType<typeof shopWorkspace>>;

/** An integration's settings, as `PUT /api/v1/integrations/:type` takes them. */
export interface IntegrationSettings {
  config: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  enabled?: boolean;
}

/** Saves an integration through the public API (admin). */
export async function configure(token: string, type: string, body: IntegrationSettings) {
  const res = await call("PUT", `/api/v1/integrations/${type}`, { token, body });
  if (res.status !== 200) throw new Error(`integration ${type}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A shop workspace whose `type` channel talks to the fake provider under a scenario of its own:
 * `settings` gets the workspace and the scenario's base URL, and says what to save.
 */
export async function shopWithChannel(
  type: string,
  settings: (shop: ShopWorkspace, base: string) => IntegrationSettings,
  opts: { name?: string; tag?: string } = {},
): Promise<{ ws: ShopWorkspace; scn: string }> {
  const ws = await shopWorkspace(opts.name);
  const scn = scenario(opts.tag ?? type);
  await configure(ws.token, type, settings(ws, fakeBase(scn)));
  return { ws, scn };
}

/** Sends a raw webhook request to the Worker. */
export async function webhook(path: string, init: { body: BodyInit; headers?: Record<string, string> }) {
  const res = await exports.default.fetch(new Request(`http://api.test${path}`, { method: "POST", ...init }));
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (TwiML, empty)
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** The conversation messages in D1 or the DO, via the API. */
export async function messagesOf(token: string, conversationId: string) {
  const res = await call("GET", `/api/v1/conversations/${conversationId}/messages?limit=100`, { token });
  return res.body.data as { sender_type: string; content: string; client_id: string | null }[];
}

/** Channel conversations of a workspace, straight from D1. */
export async function channelConversations(workspaceId: string, channel: string) {
  const rows = await env.DB.prepare("select id, external_ref, visitor_id, status, satisfaction_score, metadata from conversations where workspace_id = ? and channel = ? order by created_at")
    .bind(workspaceId, channel)
    .all<{ id: string; external_ref: string; visitor_id: string; status: string; satisfaction_score: number | null; metadata: string }>();
  return rows.results;
}
