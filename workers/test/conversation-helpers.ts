import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { writeDocument } from "../src/knowledge/index-chunks";
import { call, createAssistant, signUp } from "./helpers";

/** A server event as the socket receives it. */
export type Event = { type: string; [k: string]: unknown };

/** A test client socket that records every event and can wait for one. */
export interface TestSocket {
  ws: WebSocket;
  events: Event[];
  send(frame: unknown): void;
  /** Resolves with the first event (from `from` on) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (e: Event) => boolean, opts?: { timeoutMs?: number; from?: number }): Promise<Event>;
  close(): void;
}

/** Opens the conversation WebSocket through the Worker, like the widget does. */
export async function openSocket(conversationId: string, token: string): Promise<TestSocket> {
  const res = await exports.default.fetch(
    new Request(`http://api.test/api/v1/conversations/${conversationId}/ws?token=${encodeURIComponent(token)}`, {
      headers: { Upgrade: "websocket" },
    }),
  );
  const ws = res.webSocket;
  if (!ws) throw new Error(`no websocket: ${res.status} ${await res.text()}`);
  ws.accept();
  const events: Event[] = [];
  const waiters = new Set<() => void>();
  ws.addEventListener("message", (m) => {
    events.push(JSON.parse(m.data as string) as Event);
    for (const w of [...waiters]) w();
  });
  return {
    ws,
    events,
    send: (frame) => ws.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    waitFor(pred, opts = {}) {
      const from = opts.from ?? 0;
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.slice(from).find(pred);
          if (hit) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(hit);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting; got ${JSON.stringify(events.map((e) => e.type))}`));
        }, opts.timeoutMs ?? 5_000);
        waiters.add(check);
        check();
      });
    },
    close: () => ws.close(1000, "done"),
  };
}

/**
 * Adds a ready manual document: its row in D1 and one chunk in the assistant's knowledge index,
 * as ingestion would leave them, without a vector (found by keyword search).
 */
export async function addKnowledge(
  workspaceId: string,
  assistantId: string,
  docs: { title: string; content: string }[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, d] of docs.entries()) {
    const docId = `doc_test${Date.now()}${i}${Math.random().toString(36).slice(2, 8)}`;
    ids.push(docId);
    await env.DB.prepare(
      `insert into kb_documents (id, workspace_id, assistant_id, title, source_type, status, chunk_count, token_count, content_hash)
       values (?, ?, ?, ?, 'manual', 'ready', 1, ?, ?)`,
    )
      .bind(docId, workspaceId, assistantId, d.title, Math.ceil(d.content.length / 4), `hash-${docId}`)
      .run();
    await writeDocument(env, { workspaceId, assistantId, documentId: docId, title: d.title }, [
      { id: `chk_${docId}`, ordinal: 0, heading: null, content: d.content, contentHash: `c-${docId}`, tokenCount: Math.ceil(d.content.length / 4), vector: null },
    ]);
  }
  return ids;
}

/** Help articles the tests ask about. */
export const SHOP_ARTICLES = [
  {
    title: "Shipping times",
    content:
      "Standard shipping takes 3 to 5 business days within the EU. Express shipping arrives the next business day when ordered before 2 pm. We ship from our warehouse in Lyon.",
  },
  {
    title: "Returns and refunds",
    content:
      "You can return any unused item within 30 days of delivery for a full refund. Refunds are paid to the original payment method within 5 business days of receiving the return.",
  },
  {
    title: "Battery care",
    content:
      "Charge the e-bike battery to 80 percent for daily use. Store the battery indoors at room temperature during winter. A full charge takes about 4 hours.",
  },
];

/** A workspace with an assistant that knows the shop articles, and a started web conversation. */
export async function startedConversation(opts: { threshold?: number } = {}) {
  const s = await signUp("Shop");
  const assistant = await createAssistant(s.access_token, {
    allowed_origins: ["https://shop.example.com"],
    escalation_threshold: opts.threshold ?? 0.2,
  });
  await addKnowledge(s.workspace.id, assistant.id, SHOP_ARTICLES);
  const key = await call("POST", "/api/v1/api-keys", {
    token: s.access_token,
    body: { name: "widget", type: "publishable", assistant_id: assistant.id },
  });
  const conv = await call("POST", "/api/v1/conversations", {
    token: key.body.key,
    headers: { origin: "https://shop.example.com" },
    body: { assistant_id: assistant.id, visitor_id: "visitor-1", channel: "web" },
  });
  if (conv.status !== 201) throw new Error(`conversation create failed: ${conv.status} ${JSON.stringify(conv.body)}`);
  return {
    session: s,
    assistant,
    publishableKey: key.body.key as string,
    conversationId: conv.body.conversation_id as string,
    token: conv.body.token as string,
    created: conv.body,
  };
}
