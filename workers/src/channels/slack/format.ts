/**
 * Answers as Slack shows them: `mrkdwn` (`*bold*`, `<url|label>` links) with `&`, `<`, `>`
 * escaped as Slack requires, and inbound text with the bot's own mention removed.
 */
import { splitText } from "../split-text";

/** Slack truncates `text` beyond 40,000 characters; answers are split well before. */
export const SLACK_MAX_CHARS = 39_000;

function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Markdown (what the models write) to Slack mrkdwn. */
export function toSlackMrkdwn(markdown: string): string {
  const links: string[] = [];
  const withoutLinks = markdown.replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, (_m, label: string, url: string) => {
    links.push(`<${url}|${escapeSlack(label).replace(/\|/g, "¦")}>`);
    return `\u0000${links.length - 1}\u0000`;
  });
  return escapeSlack(withoutLinks)
    .replace(/^#{1,6}\s+(.+)$/gm, "*$1*")
    .replace(/\*\*(.+?)\*\*/g, "*$1*")
    .replace(/~~(.+?)~~/g, "~$1~")
    .replace(/\u0000(\d+)\u0000/g, (_m, i: string) => links[Number(i)] ?? "");
}

/** The messages to post for one answer. */
export function slackMessages(answer: string): string[] {
  return splitText(toSlackMrkdwn(answer), SLACK_MAX_CHARS);
}

/** Slack's encoding of what a person typed: mentions and links unwrapped, entities decoded. */
export function fromSlackText(text: string, botUserId?: string | null): string {
  let out = text;
  if (botUserId) out = out.replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, "g"), "");
  return out
    .replace(/<(https?:\/\/[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:\/\/[^>]+)>/g, "$1")
    .replace(/<mailto:([^|>]+)\|[^>]+>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .trim();
}
