/**
 * The Block Kit message that tells a support channel about an escalation: what happened, the
 * customer's question and latest message, and a button to the conversation in the dashboard.
 * https://api.slack.com/block-kit
 */
import type { EscalationBrief } from "../transcript";
import type { SlackBlock } from "./client";

/** Slack's limit for a section's text. */
const SECTION_MAX_CHARS = 3_000;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function quote(text: string): string {
  return escape(text)
    .slice(0, SECTION_MAX_CHARS - 100)
    .split("\n")
    .map((l) => `>${l}`)
    .join("\n");
}

/** Fallback text (notifications, screen readers) and the blocks. */
export function escalationMessage(b: EscalationBrief): { text: string; blocks: SlackBlock[] } {
  const c = b.conversation;
  return {
    text: `Escalation: ${b.reasonText} (${c.channel} conversation ${c.id})`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: "A customer needs a person", emoji: true } },
      {
        type: "section",
        text: { type: "mrkdwn", text: `*Why:* ${escape(b.reasonText)}\n*First question:*\n${quote(b.question)}` },
        fields: [
          { type: "mrkdwn", text: `*Channel*\n${escape(c.channel)}` },
          { type: "mrkdwn", text: `*Customer*\n${escape(c.visitor_id)}` },
        ],
      },
      { type: "section", text: { type: "mrkdwn", text: `*Last message:*\n${quote(b.lastMessage)}` } },
      {
        type: "actions",
        elements: [
          {
            type: "button",
            text: { type: "plain_text", text: "Open conversation", emoji: true },
            url: b.dashboardUrl,
            style: "primary",
            action_id: "open_conversation",
            value: c.id,
          },
        ],
      },
      { type: "context", elements: [{ type: "mrkdwn", text: `Escalation ${b.escalationId} · conversation ${c.id}` }] },
    ],
  };
}
