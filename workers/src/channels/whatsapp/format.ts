/**
 * Answers as WhatsApp shows them: its own light markup (`*bold*`, `_italic_`, `~strike~`),
 * links written out, and at most 1,600 characters per message (Twilio's limit for WhatsApp).
 */
import { splitText } from "../split-text";

/** Twilio refuses WhatsApp message bodies longer than this many characters. */
export const WHATSAPP_MAX_CHARS = 1_600;

/** Markdown (what the models write) to WhatsApp's markup. */
export function toWhatsAppText(markdown: string): string {
  return markdown
    .replace(/^#{1,6}\s+(.+)$/gm, "*$1*")
    .replace(/\*\*(.+?)\*\*/g, "*$1*")
    .replace(/__(.+?)__/g, "_$1_")
    .replace(/~~(.+?)~~/g, "~$1~")
    .replace(/!?\[([^\]]+)\]\((\S+?)\)/g, (_m, label: string, url: string) => (label === url ? url : `${label} (${url})`))
    .replace(/^\s*[-*+]\s+/gm, "• ");
}

/** The messages to send for one answer. */
export function whatsAppMessages(answer: string): string[] {
  return splitText(toWhatsAppText(answer), WHATSAPP_MAX_CHARS);
}
