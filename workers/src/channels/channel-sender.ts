/**
 * The seam between answers and channels: a `ChannelSender` delivers one answer to where a
 * conversation's visitor is (a Slack thread, a WhatsApp number, an email thread).
 */
import { outboundPolicy } from "../lib/network-policy";
import { emailSettings, slackSettings, whatsAppSettings } from "./channel-settings";
import { EmailSender } from "./email/sender";
import type { ReplyTarget } from "./jobs";
import { ProviderError } from "./provider-error";
import { SlackSender } from "./slack/sender";
import { WhatsAppSender } from "./whatsapp/sender";

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

/** The sender for a reply target, with the workspace's credentials. */
export async function senderFor(env: Env, workspaceId: string, target: ReplyTarget): Promise<ChannelSender> {
  const policy = outboundPolicy(env);
  switch (target.channel) {
    case "slack": {
      const s = await slackSettings(env, workspaceId);
      if (!s?.botToken) throw new ChannelNotConfigured("slack", "the Slack bot token");
      return new SlackSender(env.DB, s.botToken, { baseUrl: s.config.api_base_url, policy }, target);
    }
    case "whatsapp": {
      const s = await whatsAppSettings(env, workspaceId);
      if (!s) throw new ChannelNotConfigured("twilio", "the Twilio account");
      return new WhatsAppSender(env.DB, s, policy, target);
    }
    case "email": {
      const s = await emailSettings(env, workspaceId);
      if (!s?.apiKey) throw new ChannelNotConfigured("sendgrid", "the SendGrid API key");
      return new EmailSender(env.DB, s, policy, target);
    }
  }
}
