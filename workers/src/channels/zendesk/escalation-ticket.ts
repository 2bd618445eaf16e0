/**
 * The Zendesk ticket for an escalation: the summary as subject, the transcript as the
 * description, the customer as requester, the workspace's tags and custom fields, and the
 * conversation id as `external_id` so ticket updates find their way back.
 */
import type { ZendeskSettings } from "../channel-settings";
import type { EscalationBrief } from "../transcript";
import type { NewZendeskTicket } from "./client";

const SUBJECT_MAX_CHARS = 150;

/** Who the customer is, as a Zendesk requester (email conversations give an address). */
function requesterOf(b: EscalationBrief): NewZendeskTicket["requester"] {
  const visitor = b.conversation.visitor_id;
  if (visitor.startsWith("email:")) {
    const email = visitor.slice("email:".length);
    return { name: email.split("@")[0] ?? email, email };
  }
  if (visitor.startsWith("whatsapp:")) return { name: `WhatsApp ${visitor.slice("whatsapp:".length)}` };
  if (visitor.startsWith("slack:")) return { name: `Slack ${visitor.split(":").at(-1)}` };
  return { name: `Visitor ${visitor}`.slice(0, 100) };
}

/** The ticket to create. */
export function escalationTicket(b: EscalationBrief, settings: ZendeskSettings): NewZendeskTicket {
  const question = b.question.replace(/\s+/g, " ");
  return {
    subject: `[${b.conversation.channel}] ${question}`.slice(0, SUBJECT_MAX_CHARS),
    description: [
      `Escalated because ${b.reasonText}.`,
      `Conversation: ${b.dashboardUrl}`,
      "",
      "Transcript:",
      "",
      b.transcript,
    ].join("\n"),
    requester: requesterOf(b),
    tags: [...new Set(["edgedesk", `edgedesk_${b.reason}`, `channel_${b.conversation.channel}`, ...(settings.config.tags ?? [])])],
    custom_fields: settings.config.custom_fields?.map((f) => ({ id: f.id, value: f.value })),
    external_id: b.conversation.id,
  };
}
