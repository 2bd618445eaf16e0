import type { ChannelSender } from "../channel-sender";
import type { ReplyTarget } from "../jobs";
import { sendOnce } from "../once";
import type { ProviderClientOptions } from "../provider-error";
import { SlackClient } from "./client";
import { slackMessages } from "./format";

/** `processed_events.source` of Slack answer parts already posted. */
const SENT_SOURCE = "slack-sent";

/** Posts answers in the visitor's Slack thread with `chat.postMessage`. */
export class SlackSender implements ChannelSender {
  readonly provider = "slack" as const;
  private readonly client: SlackClient;

  constructor(
    private readonly db: D1Database,
    botToken: string,
    api: Pick<ProviderClientOptions, "baseUrl" | "policy">,
    private readonly target: Extract<ReplyTarget, { channel: "slack" }>,
  ) {
    this.client = new SlackClient(botToken, api);
  }

  async send(text: string, deliveryKey: string): Promise<void> {
    for (const [i, part] of slackMessages(text).entries()) {
      await sendOnce(this.db, SENT_SOURCE, `${deliveryKey}:${i}`, async () => {
        await this.client.postMessage({ channel: this.target.slack_channel, text: part, thread_ts: this.target.thread_ts ?? undefined });
      });
    }
  }
}
