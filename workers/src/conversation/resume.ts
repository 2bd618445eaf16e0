/**
 * Resuming a socket: a client that reconnects says the last message it has (`resume`, `after`)
 * and gets everything since, a half-streamed answer included as the deltas buffered so far, then
 * the conversation's status. The store's reads are synchronous, so the object sends the replay
 * before any new delta can be produced: nothing is missed and nothing arrives twice.
 */
import { statusEvent } from "./conversation-view";
import type { MessageView, ServerEvent } from "./protocol";
import type { ConversationStore } from "./store";

/** A buffered delta of an answer still streaming. */
export interface BufferedDelta {
  seq: number;
  delta: string;
}

/** The events that replay one stored message: its buffered deltas while it streams, else the message itself. */
export function replayEventsOf(m: MessageView, deltas: readonly BufferedDelta[]): ServerEvent[] {
  if (m.status === "streaming") return deltas.map((c) => ({ type: "delta", message_id: m.id, delta: c.delta, seq: c.seq }));
  if (m.sender_type === "assistant") return [{ type: "response", message: m }];
  if (m.sender_type === "human_agent") return [{ type: "agent_message", message: m }];
  return [{ type: "message", message: m }];
}

/** Everything after message `after` (all when null) and the status; an error when `after` is unknown. */
export function replayEvents(store: ConversationStore, after: string | null): ServerEvent[] {
  let afterSeq = 0;
  if (after) {
    const from = store.message(after);
    if (!from) return [{ type: "error", code: "not_found", message: "unknown message id to resume after" }];
    afterSeq = from.seq;
  }
  const events = store.messagesAfter(afterSeq).flatMap((m) => replayEventsOf(m, m.status === "streaming" ? store.chunks(m.id) : []));
  const conv = store.conversation();
  return conv ? [...events, statusEvent(conv)] : events;
}
