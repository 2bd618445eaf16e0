/**
 * Handing a conversation to a person: an open escalation is returned rather than doubled, past
 * the daily bound none is opened (`escalation-limit.ts`), and a new one is stored, told to every
 * socket, counted, and queued for the team's channels (ticket, Slack post, email).
 */
import { newId } from "../lib/ids";
import { withTraceparent } from "../lib/trace-context";
import { broadcastStatus, requireConversation, type ConversationContext } from "./conversation-context";
import { escalationAllowance, escalationWindowStart, type EscalationOutcome } from "./escalation-limit";
import type { EscalationView } from "./protocol";

/** Why a conversation goes to a person. */
export type EscalationReason = EscalationView["reason"];

/** Opens an escalation (or finds the open one); `replyTo` is the question whose REST stream hears of it. */
export function openEscalation(cx: ConversationContext, reason: EscalationReason, note: string | null, replyTo?: string): EscalationOutcome {
  const existing = cx.store.openEscalation();
  if (existing) return { escalation: existing };
  const conv = requireConversation(cx.store);
  const nowMs = Date.now();
  const allowance = escalationAllowance(cx.store.escalationTimesSince(escalationWindowStart(nowMs)), nowMs);
  if (!allowance.allowed) {
    cx.logger.warn("escalation refused: daily bound reached", { conversation_id: conv.id, reason });
    return { escalation: null, retry_after_seconds: allowance.retryAfterSeconds };
  }
  const now = new Date(nowMs).toISOString();
  const escalation = cx.store.insertEscalation({ id: newId("escalation"), reason, note, created_at: now, question_id: replyTo ?? null });
  cx.store.updateConversation({ status: "escalated" }, now);
  cx.store.outbox.enqueue("escalation", escalation.id);
  cx.store.outbox.enqueue("conversation", conv.id);
  cx.fanOut.broadcast({ type: "escalation", escalation_id: escalation.id, ticket_id: null, reason }, undefined, replyTo);
  broadcastStatus(cx, replyTo);
  cx.emit({ type: "conversation.escalated", properties: { reason } });
  cx.waitUntil(
    cx.env.OUTBOUND_QUEUE.send(
      withTraceparent({
        type: "escalation.created",
        workspace_id: conv.workspace_id,
        assistant_id: conv.assistant_id,
        conversation_id: conv.id,
        escalation_id: escalation.id,
        reason,
        channel: conv.channel,
      }),
      { contentType: "json" },
    ).catch((err) => cx.logger.error("escalation job not queued", { error: err })),
  );
  cx.flushSoon();
  return { escalation };
}
