import { env } from "cloudflare:test";
import { expect } from "vitest";
import { uniq, userHash } from "./action-helpers";
import type { Event, TestSocket } from "./conversation-helpers";
import type { ScriptedTurn } from "./fake-llm-server";
import { call, createAssistant, signUp } from "./helpers";

/** What the actions conversation tests share: a shop with a widget key and identity secret, conversations, the fake model's script and log. */

/** The shop's site, the widget's origin. */
export const SHOP = "https://shop.example.com";

/** A shop: a workspace, an assistant answering with `model` (its prompts marked for the fake's script `script`), its widget key and identity secret. */
export async function shop(opts: { model?: string; script?: string; threshold?: number } = {}) {
  const session = await signUp("ActionsChat");
  const assistant = await createAssistant(session.access_token, {
    allowed_origins: [SHOP],
    escalation_threshold: opts.threshold ?? 0.2,
    ...(opts.script ? { system_prompt: `You help shoppers of Acme. [[fake-script:${opts.script}]]` } : {}),
    ...(opts.model ? { model_policy: { primary: opts.model } } : {}),
  });
  const pk = await call("POST", "/api/v1/api-keys", { token: session.access_token, body: { name: "widget", type: "publishable", assistant_id: assistant.id } });
  const made = await call("POST", `/api/v1/assistants/${assistant.id}/identity-secret`, { token: session.access_token });
  expect(made.status).toBe(201);
  return {
    admin: session.access_token,
    workspaceId: session.workspace.id as string,
    assistantId: assistant.id as string,
    token: session.access_token,
    pk: pk.body.key as string,
    secret: made.body.secret as string,
  };
}
export type Shop = Awaited<ReturnType<typeof shop>>;

/** Starts a conversation, verified as `userId` unless null. */
export async function start(s: Shop, userId: string | null) {
  const identity = userId ? { identity: { user_id: userId, user_hash: await userHash(s.secret, userId) } } : {};
  const res = await call("POST", "/api/v1/conversations", {
    token: s.pk,
    headers: { origin: SHOP },
    body: { assistant_id: s.assistantId, channel: "web", visitor_id: `v-${uniq()}`, ...identity },
  });
  expect(res.status).toBe(201);
  return { id: res.body.conversation_id as string, token: res.body.token as string, verified: res.body.verified as boolean };
}

/** Queues the model's next answers for `script`. */
export async function script(name: string, turns: ScriptedTurn[]) {
  const res = await fetch(`${env.LLM_FAKE_URL}/${name}/script`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ turns }) });
  expect(res.status).toBe(204);
}

/** What the model was sent under `script`. */
export async function modelLog(name: string) {
  return (await (await fetch(`${env.LLM_FAKE_URL}/${name}/log`)).json()) as { provider: string; body: Record<string, unknown> }[];
}

/** Sends a question on `ws` and waits for its answer. */
export async function ask(ws: TestSocket, content: string, timeoutMs = 10_000) {
  const from = ws.events.length;
  ws.send({ type: "message", content, client_id: `c-${uniq()}` });
  const response = await ws.waitFor((e) => e.type === "response", { from, timeoutMs });
  return { response: response.message as Record<string, any>, events: ws.events.slice(from) };
}

/** The `tool` events among `events`, as `name:status`. */
export const toolEvents = (events: Event[]) => events.filter((e) => e.type === "tool").map((e) => `${e.name}:${e.status}`);

/**
 * Every event the conversation sent on `ws` up to now: an invalid frame's `error` comes after
 * anything the object had already sent (an escalation right after an answer, say).
 */
export async function settled(ws: TestSocket): Promise<Event[]> {
  const from = ws.events.length;
  ws.send({ type: "no-such-frame" });
  await ws.waitFor((e) => e.type === "error", { from });
  return ws.events;
}
