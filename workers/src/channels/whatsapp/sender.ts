import type { ChannelSender } from "../channel-sender";
import type { WhatsAppSettings } from "../channel-settings";
import type { ReplyTarget } from "../jobs";
import type { OutboundPolicy } from "../../lib/network-policy";
import { sendOnce } from "../once";
import { TwilioClient } from "./client";
import { whatsAppMessages } from "./format";

/** `processed_events.source` of WhatsApp answer parts already sent. */
const SENT_SOURCE = "twilio-sent";

/** Sends answers to the visitor's WhatsApp number through Twilio's Messages API. */
export class WhatsAppSender implements ChannelSender {
  readonly provider = "twilio" as const;
  private readonly client: TwilioClient;

  constructor(
    private readonly db: D1Database,
    settings: WhatsAppSettings,
    policy: OutboundPolicy,
    private readonly target: Extract<ReplyTarget, { channel: "whatsapp" }>,
  ) {
    this.client = new TwilioClient(settings.accountSid, settings.authToken, { baseUrl: settings.config.api_base_url, policy });
  }

  async send(text: string, deliveryKey: string): Promise<void> {
    // Parts go one after another, each once: a retry after a 429 resumes where it stopped.
    for (const [i, part] of whatsAppMessages(text).entries()) {
      await sendOnce(this.db, SENT_SOURCE, `${deliveryKey}:${i}`, async () => {
        await this.client.sendMessage({ from: this.target.from, to: this.target.to, body: part });
      });
    }
  }
}
