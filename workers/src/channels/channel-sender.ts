/**
 * The seam between answers and channels: a `ChannelSender` delivers one answer to where a
 * conversation's visitor is (a Slack thread, a WhatsApp number, an email thread);
 * `create-channel-sender.ts` picks the one for a reply target.
 */
import { ProviderError } from "./provider-error";

/** Delivers answers to one visitor on one channel. */
export interface ChannelSender {
  /** Which provider carries the answer (for errors and logs). */
  readonly provider: "slack" | "twilio" | "sendgrid";
  /**
   * Sends `text`, split into as many messages as the channel needs. `deliveryKey` identifies
   * this answer: a repeated call with the same key sends only the parts not yet sent.
   */
  send(text: string, deliveryKey: string, conversationId: string): Promise<void>;
}

/** The channel is not set up (or was switched off) in this workspace: retrying will not help. */
export class ChannelNotConfigured extends ProviderError {
  constructor(provider: ChannelSender["provider"], what: string) {
    super(provider, 400, `${what} is not configured`);
    this.name = "ChannelNotConfigured";
  }
}
