/**
 * A thin typed client for Twilio's REST API: sending a WhatsApp message through the Messages
 * resource, fetching the account (the connection test) and downloading inbound media.
 */
import { basicAuth, joinUrl, providerFetch, type ProviderClientOptions } from "../provider-error";
import type { OutboundPolicy } from "../../lib/network-policy";

/** Twilio's REST API. */
export const TWILIO_API_BASE_URL = "https://api.twilio.com";

/** A message Twilio accepted. */
export interface TwilioMessage {
  sid: string;
  status: string;
  to: string;
  from: string;
}

/** Twilio calls authenticated with an account SID and auth token. */
export class TwilioClient {
  private readonly baseUrl: string;
  private readonly fetcher: typeof fetch | undefined;
  private readonly policy: OutboundPolicy;

  constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
    opts: ProviderClientOptions,
  ) {
    this.baseUrl = opts.baseUrl || TWILIO_API_BASE_URL;
    this.fetcher = opts.fetcher;
    this.policy = opts.policy;
  }

  private get auth(): string {
    return basicAuth(this.accountSid, this.authToken);
  }

  /** Sends one message (`whatsapp:+…` addresses). */
  async sendMessage(msg: { from: string; to: string; body: string }): Promise<TwilioMessage> {
    const form = new URLSearchParams({ From: msg.from, To: msg.to, Body: msg.body });
    const res = await providerFetch(
      "twilio",
      joinUrl(this.baseUrl, `2010-04-01/Accounts/${encodeURIComponent(this.accountSid)}/Messages.json`),
      {
        method: "POST",
        headers: { authorization: this.auth, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
        body: form.toString(),
      },
      this.fetcher,
      this.policy,
    );
    return (await res.json()) as TwilioMessage;
  }

  /** The account: proves the credentials work. */
  async fetchAccount(): Promise<{ sid: string; friendly_name: string; status: string }> {
    const res = await providerFetch(
      "twilio",
      joinUrl(this.baseUrl, `2010-04-01/Accounts/${encodeURIComponent(this.accountSid)}.json`),
      { headers: { authorization: this.auth, accept: "application/json" } },
      this.fetcher,
      this.policy,
    );
    return (await res.json()) as { sid: string; friendly_name: string; status: string };
  }

  /**
   * Downloads an inbound media file. Credentials go only to Twilio (or the configured base URL):
   * media URLs come from a signed webhook, but a token should never follow a link elsewhere.
   */
  async fetchMedia(url: string): Promise<Response> {
    const target = new URL(url);
    const trusted = target.origin === new URL(this.baseUrl).origin || target.hostname.endsWith(".twilio.com");
    return providerFetch("twilio", url, { headers: trusted ? { authorization: this.auth } : {}, redirect: "follow" }, this.fetcher, this.policy);
  }
}
