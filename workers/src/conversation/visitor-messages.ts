/**
 * A visitor's message arriving at its conversation, over REST, a channel job or a socket: stored
 * once per client id (a re-send is acknowledged, never answered twice), marked for answering
 * unless a person has taken over, and told to everyone. Socket messages are first counted
 * against the socket limits (`limits/socket-limits.ts`); a refused one is not stored at all.
 */
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { currentTrace } from "../lib/trace-context";
import { admitSocketMessage, socketRefusal } from "../limits/socket-limits";
import { broadcastStatus, requireConversation, type ConversationContext } from "./conversation-context";
import type { SubmitResult } from "./conversation-view";
import { detectLanguage } from "./language";
import { sanitizeMessage } from "./sanitize";
import type { SocketAttachment } from "./socket-frames";

/** Stores a visitor message (or finds the one its client id already made) and tells everyone but `from`. */
export function acceptVisitorMessage(cx: ConversationContext, content: string, clientId: string | null, from?: WebSocket): SubmitResult {
  const { store, fanOut } = cx;
  if (clientId) {
    const existing = store.messageByClientId(clientId);
    if (existing) return { message: existing, duplicate: true };
  }
  const text = sanitizeMessage(content);
  const conv = requireConversation(store);
  const now = nowIso();
  const language = detectLanguage(text, conv.language ?? "en");
  const message = store.insertMessage({
    id: newId("message"),
    sender_type: "visitor",
    sender_id: conv.visitor_id,
    content: text,
    status: "complete",
    client_id: clientId,
    language,
    answer_state: conv.human_takeover === 1 ? "skipped" : "pending",
    created_at: now,
  });
  const reopened = conv.status === "resolved";
  store.updateConversation(reopened ? { language, status: "active", resolved_at: null } : { language }, now);
  const trace = currentTrace();
  if (trace && conv.human_takeover !== 1) cx.questionTraces.set(message.id, trace);
  store.outbox.enqueue("message", message.id);
  store.outbox.enqueue("conversation", conv.id);
  cx.logger.info("visitor message stored", { conversation_id: conv.id, message_id: message.id });
  if (from) fanOut.send(from, { type: "ack", client_id: clientId, message_id: message.id });
  fanOut.broadcast({ type: "message", message }, from);
  if (reopened) broadcastStatus(cx);
  cx.emit({ type: "message.received", properties: { language } });
  cx.flushSoon();
  return { message, duplicate: false };
}

/**
 * A visitor's message from a socket: counted against the socket limits, then stored, or refused
 * with a `rate_limited` error frame and not stored at all. Run one at a time, in arrival order
 * (`InOrder`), so quick successive messages are stored, and then answered, in the order sent even
 * though each waits for the limiter. False when the message was refused.
 */
export async function receiveSocketMessage(
  cx: ConversationContext,
  ws: WebSocket,
  who: SocketAttachment,
  content: string,
  clientId: string | null,
): Promise<boolean> {
  // A re-sent client id is acknowledged again without counting: it costs no model call.
  const known = clientId ? cx.store.messageByClientId(clientId) : null;
  if (!known) {
    const conv = requireConversation(cx.store);
    const decision = await admitSocketMessage(cx.env, conv.workspace_id, {
      conversationId: conv.id,
      visitorSubject: who.rateSubject ?? `visitor:${conv.workspace_id}:id:${who.participantId}`,
    });
    if (decision && !decision.allowed) {
      cx.fanOut.send(ws, { type: "error", ...socketRefusal(decision), client_id: clientId });
      return false;
    }
  }
  const { message, duplicate } = acceptVisitorMessage(cx, content, clientId, ws);
  if (duplicate) cx.fanOut.send(ws, { type: "ack", client_id: clientId, message_id: message.id });
  return true;
}
