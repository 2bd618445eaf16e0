/**
 * A thin typed client for the few Slack Web API methods the platform uses. Slack answers most
 * failures with HTTP 200 and `{ok: false, error}`; those become `ProviderError`s too, retryable
 * only when Slack says it is busy.
 */
import { joinUrl, ProviderError, providerFetch, type ProviderClientOptions } from "../provider-error";
import type { OutboundPolicy } from "../../lib/network-policy";

/** Slack's Web API. */
export const SLACK_API_BASE_URL = "https://slack.com/api";

/** `{ok: false}` errors that are Slack's trouble, not ours: worth retrying. */
const TRANSIENT_ERRORS = new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

/** A Block Kit block; the client does not need to know its shape. */
export type SlackBlock = Record<string, unknown>;

/** What `chat.postMessage` takes here. */
export interface SlackPostMessage {
  channel: string;
  text: string;
  thread_ts?: string | undefined;
  blocks?: SlackBlock[] | undefined;
}

/** Slack Web API calls with a bot token. */
export class SlackClient {
  private readonly baseUrl: string;
  private readonly fetcher: typeof fetch | undefined;
  private readonly policy: OutboundPolicy;

  constructor(
    private readonly token: string,
    opts: ProviderClientOptions,
  ) {
    this.baseUrl = opts.baseUrl || SLACK_API_BASE_URL;
    this.fetcher = opts.fetcher;
    this.policy = opts.policy;
  }

  /** Posts a message (in a thread when `thread_ts` is given); returns its `ts`. */
  async postMessage(msg: SlackPostMessage): Promise<{ channel: string; ts: string }> {
    const body = await this.call<{ channel: string; ts: string }>("chat.postMessage", {
      channel: msg.channel,
      text: msg.text,
      ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}),
      ...(msg.blocks ? { blocks: msg.blocks } : {}),
      unfurl_links: false,
    });
    return { channel: body.channel, ts: body.ts };
  }

  /** The cheapest authenticated call: who the token belongs to. */
  async authTest(): Promise<{ team_id: string; team: string; user_id: string; bot_id?: string }> {
    return this.call("auth.test", {});
  }

  private async call<T>(method: string, payload: Record<string, unknown>): Promise<T> {
    const res = await providerFetch(
      "slack",
      joinUrl(this.baseUrl, method),
      {
        method: "POST",
        headers: { authorization: `Bearer ${this.token}`, "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(payload),
      },
      this.fetcher,
      this.policy,
    );
    const body = (await res.json()) as { ok?: boolean; error?: string } & T;
    if (body.ok !== true) {
      const error = body.error ?? "unknown_error";
      throw new ProviderError("slack", TRANSIENT_ERRORS.has(error) ? 503 : 400, `slack ${method} failed: ${error}`, null, error);
    }
    return body;
  }
}
