/** The email that tells a support address about an escalation. */
import type { EscalationBrief } from "../transcript";
import type { EmailAddress, OutgoingEmail } from "./client";
import { textToHtml } from "./sender";

/** The notification for `to`, sent from `from`. */
export function escalationEmail(b: EscalationBrief, from: EmailAddress, to: string): OutgoingEmail {
  const c = b.conversation;
  const text = [
    `A customer needs a person: ${b.reasonText}.`,
    "",
    `Channel: ${c.channel}`,
    `Customer: ${c.visitor_id}`,
    "",
    "First question:",
    b.question,
    "",
    "Last message:",
    b.lastMessage,
    "",
    `Open the conversation: ${b.dashboardUrl}`,
    "",
    "Transcript:",
    "",
    b.transcript,
  ].join("\n");
  return {
    from,
    to: [{ email: to }],
    subject: `Escalation (${c.channel}): ${b.question.replace(/\s+/g, " ").slice(0, 80)}`,
    text,
    html: textToHtml(text),
    headers: { "X-Entity-Ref-ID": b.escalationId },
  };
}
