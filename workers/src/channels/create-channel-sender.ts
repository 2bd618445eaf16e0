import { outboundPolicy } from "../lib/network-policy";
import { ChannelNotConfigured, type ChannelSender } from "./channel-sender";
import { emailSettings, slackSettings, whatsAppSettings } from "./channel-settings";
import { EmailSender } from "./email/sender";
import type { ReplyTarget } from "./jobs";
import { SlackSender } from "./slack/sender";
import { WhatsAppSender } from "./whatsapp/sender";

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
