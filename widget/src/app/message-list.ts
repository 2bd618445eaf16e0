/**
 * The transcript as the widget shows it, and how server events change it: pure functions over
 * the list (no socket, no signals), so ordering, replays and streaming are decided in one place.
 */
import type { MessageStatus, MessageView, SenderType, ServerEvent, Source, ToolCall } from "../../../schema/protocol";
import type { OutboxEntry } from "./storage";

/** A message as the widget shows it. */
export interface ChatMessage {
  /** Stable across the message's life: the client id of the visitor's own sends, else the id. */
  key: string;
  id: string | null;
  clientId: string | null;
  seq: number | null;
  sender: SenderType;
  content: string;
  /** Visitor sends: sending → sent, or failed. Answers: streaming → complete, stopped or failed. */
  status: "sending" | "sent" | MessageStatus;
  sources: Source[];
  /** A human agent's display name, when they have one. */
  name?: string | null;
  /** Deltas by their `seq`: a replayed delta lands on its own slot, never twice. */
  chunks?: string[];
  /** The actions a stored answer ran, as the API gives them (`rich.js` draws them). */
  tool_calls?: ToolCall[] | undefined;
}

/**
 * A message of the API as the widget shows it. The view's own fields ride along (its id, seq,
 * content and `tool_calls` under their API names): spreading it costs fewer bytes of `app.js`
 * than naming each.
 */
export function fromView(m: MessageView): ChatMessage {
  return {
    ...m,
    key: m.client_id ?? m.id,
    clientId: m.client_id,
    sender: m.sender_type,
    status: m.sender_type === "visitor" ? "sent" : m.status,
    sources: m.sources ?? [],
    name: m.sender_name ?? null,
  };
}

/** A visitor's message waiting for the server's acknowledgement. */
export function pendingMessage(o: OutboxEntry): ChatMessage {
  return { key: o.clientId, id: null, clientId: o.clientId, seq: null, sender: "visitor", content: o.content, status: "sending", sources: [] };
}

/** The list with a streamed delta in place; null when its answer is already complete (a late replay). */
export function withDelta(list: ChatMessage[], e: Extract<ServerEvent, { type: "delta" }>): ChatMessage[] | null {
  const i = list.findIndex((m) => m.id === e.message_id);
  const current = i >= 0 ? list[i]! : null;
  if (current && current.status !== "streaming") return null;
  const chunks = [...(current?.chunks ?? [])];
  chunks[e.seq] = e.delta;
  const next: ChatMessage = {
    key: e.message_id,
    id: e.message_id,
    clientId: null,
    seq: current?.seq ?? null,
    sender: "assistant",
    content: chunks.join(""),
    status: "streaming",
    sources: [],
    chunks,
  };
  return i >= 0 ? list.map((m, j) => (j === i ? next : m)) : [...list, next];
}

/** What storing a message of the server changes: the new list, the message, and the one it replaced. */
export interface Merge {
  list: ChatMessage[];
  incoming: ChatMessage;
  before: ChatMessage | null;
}

/**
 * The list with a stored message added or replaced (matched by id, or by the client id of the
 * visitor's own send); null when nothing changed (a replay of what is shown).
 */
export function withMessage(list: ChatMessage[], view: MessageView): Merge | null {
  const incoming = fromView(view);
  const i = list.findIndex((m) => m.id === view.id || (view.client_id !== null && m.clientId === view.client_id));
  const before = i >= 0 ? list[i]! : null;
  if (before && before.status === incoming.status && before.content === incoming.content && before.seq === incoming.seq) return null;
  const merged = before ? { ...incoming, key: before.key } : incoming;
  const rest = i >= 0 ? list.filter((_, j) => j !== i) : [...list];
  // Ordered by the server's sequence: before the first message known to come later, else after
  // everything but the sends still waiting for the server (those are the newest).
  let at = rest.findIndex((m) => m.seq !== null && m.seq > merged.seq!);
  if (at < 0) {
    at = rest.length;
    while (at > 0 && rest[at - 1]!.id === null) at--;
  }
  rest.splice(at, 0, merged);
  return { list: rest, incoming, before };
}

/** The last message held in full, with everything before it: the server replays what follows. */
export function resumePoint(list: ChatMessage[]): string | null {
  let after: string | null = null;
  for (const m of list) {
    if (m.status === "streaming" || !m.id) {
      if (m.status === "streaming" || m.sender !== "visitor") break;
      continue; // our own unsent messages do not hide anything the server holds
    }
    after = m.id;
  }
  return after;
}
