import type { ChannelSender } from "../channel-sender";
import type { EmailSettings } from "../channel-settings";
import type { ReplyTarget } from "../jobs";
import type { OutboundPolicy } from "../../lib/network-policy";
import { sendOnce } from "../once";
import { SendGridClient } from "./client";
import { outgoingMessageId } from "./threading";

/** `processed_events.source` of emails already sent. */
const SENT_SOURCE = "sendgrid-sent";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Plain text as simple HTML: paragraphs and line breaks, links clickable. */
export function textToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\[([^\]]+)\]\((https?:\/\/[^\s)]+)\)/g, '<a href="$2">$1</a>').replace(/\n/g, "<br>")}</p>`)
    .join("\n");
}

/**
 * Answers by email through SendGrid, in the customer's thread: `In-Reply-To` names their
 * message and `References` carries the thread, so mail clients group it with the question.
 */
export class EmailSender implements ChannelSender {
  readonly provider = "sendgrid" as const;
  private readonly client: SendGridClient;

  constructor(
    private readonly db: D1Database,
    private readonly settings: EmailSettings,
    policy: OutboundPolicy,
    private readonly target: Extract<ReplyTarget, { channel: "email" }>,
  ) {
    this.client = new SendGridClient(settings.apiKey ?? "", { baseUrl: settings.config.api_base_url, policy });
  }

  async send(text: string, deliveryKey: string, conversationId: string): Promise<void> {
    const from = this.settings.config.from_address || this.target.from;
    const headers: Record<string, string> = { "Message-ID": outgoingMessageId(conversationId, from) };
    if (this.target.in_reply_to) headers["In-Reply-To"] = this.target.in_reply_to;
    if (this.target.references.length > 0) headers.References = this.target.references.join(" ");
    await sendOnce(this.db, SENT_SOURCE, deliveryKey, async () => {
      await this.client.send({
        from: { email: from, name: this.settings.config.from_name || undefined },
        to: [{ email: this.target.to, name: this.target.to_name ?? undefined }],
        subject: this.target.subject,
        text,
        html: textToHtml(text),
        headers,
      });
    });
  }
}
