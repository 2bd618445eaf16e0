/**
 * What a conversation looks like on a HubSpot contact's timeline: a short summary (why the note
 * was written, the channel, the customer's question and latest message), the rating, and a link
 * to the transcript in the dashboard. Notes are HTML; every value is escaped.
 */
import type { MessageView } from "../../../../schema/protocol";
import type { ConversationView } from "../../conversation/conversation-view";

/** Why a conversation is logged. */
export type CrmLogEvent = "resolved" | "escalated";

/** Longest quoted message in a note, in characters. */
const QUOTE_MAX_CHARS = 500;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function clip(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= QUOTE_MAX_CHARS ? flat : `${flat.slice(0, QUOTE_MAX_CHARS - 1)}…`;
}

/** The note's HTML body. */
export function conversationNote(
  event: CrmLogEvent,
  conversation: ConversationView,
  messages: MessageView[],
  opts: { transcriptUrl: string; escalationReason?: string | null | undefined },
): string {
  const fromCustomer = messages.filter((m) => m.sender_type === "visitor" && m.content.trim() !== "");
  const question = fromCustomer[0]?.content;
  const last = fromCustomer.at(-1)?.content;
  const heading = event === "resolved" ? "Support conversation resolved" : "Support conversation escalated to the team";
  const rating =
    conversation.satisfaction_score === null
      ? "not rated"
      : `${conversation.satisfaction_score}/5${conversation.satisfaction_comment ? ` (“${clip(conversation.satisfaction_comment)}”)` : ""}`;
  const lines = [
    `<p><strong>${heading}</strong> (${escapeHtml(conversation.channel)}, ${messages.length} messages)</p>`,
    event === "escalated" && opts.escalationReason ? `<p>Reason: ${escapeHtml(opts.escalationReason)}</p>` : null,
    question ? `<p>Question: ${escapeHtml(clip(question))}</p>` : null,
    last && last !== question ? `<p>Latest message: ${escapeHtml(clip(last))}</p>` : null,
    `<p>CSAT: ${escapeHtml(rating)}</p>`,
    `<p>Transcript: <a href="${escapeHtml(opts.transcriptUrl)}">${escapeHtml(opts.transcriptUrl)}</a></p>`,
  ];
  return lines.filter((l): l is string => l !== null).join("");
}

/** The visitor's email: the verified identity's first, then one the visitor gave, then an email channel's sender. */
export function visitorEmailOf(conversation: ConversationView): string | null {
  const candidates = [
    conversation.identity?.email,
    conversation.metadata.email,
    conversation.visitor_id.startsWith("email:") ? conversation.visitor_id.slice("email:".length) : undefined,
  ];
  for (const c of candidates) {
    if (typeof c === "string" && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(c.trim())) return c.trim().toLowerCase();
  }
  return null;
}

/** The visitor's name split for a new contact (first word, the rest), when one is known. */
export function visitorNameOf(conversation: ConversationView): { firstname?: string; lastname?: string } {
  const raw = conversation.identity?.name ?? conversation.metadata.name;
  if (typeof raw !== "string" || raw.trim() === "") return {};
  const [first, ...rest] = raw.trim().split(/\s+/);
  return rest.length > 0 ? { firstname: first!, lastname: rest.join(" ") } : { firstname: first! };
}
