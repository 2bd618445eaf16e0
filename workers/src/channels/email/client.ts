/**
 * A thin typed client for SendGrid's v3 API: mail send (with threading headers) and the scopes
 * of the API key (the connection test).
 */
import { joinUrl, providerFetch, type ProviderClientOptions } from "../provider-error";
import type { OutboundPolicy } from "../../lib/network-policy";

/** SendGrid's v3 API host. */
export const SENDGRID_API_BASE_URL = "https://api.sendgrid.com";

/** An address with an optional display name. */
export interface EmailAddress {
  email: string;
  name?: string | undefined;
}

/** One outgoing email. */
export interface OutgoingEmail {
  from: EmailAddress;
  to: EmailAddress[];
  subject: string;
  text: string;
  html?: string | undefined;
  replyTo?: EmailAddress | undefined;
  /** Extra headers: `Message-ID`, `In-Reply-To`, `References` for threading. */
  headers?: Record<string, string> | undefined;
}

/** SendGrid calls with an API key. */
export class SendGridClient {
  private readonly baseUrl: string;
  private readonly fetcher: typeof fetch | undefined;
  private readonly policy: OutboundPolicy;

  constructor(
    private readonly apiKey: string,
    opts: ProviderClientOptions,
  ) {
    this.baseUrl = opts.baseUrl || SENDGRID_API_BASE_URL;
    this.fetcher = opts.fetcher;
    this.policy = opts.policy;
  }

  /** Sends an email; returns SendGrid's `X-Message-Id` when it gives one. */
  async send(mail: OutgoingEmail): Promise<{ messageId: string | null }> {
    const content = [{ type: "text/plain", value: mail.text }];
    if (mail.html) content.push({ type: "text/html", value: mail.html });
    const res = await providerFetch(
      "sendgrid",
      joinUrl(this.baseUrl, "v3/mail/send"),
      {
        method: "POST",
        headers: { authorization: `Bearer ${this.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          personalizations: [{ to: mail.to }],
          from: mail.from,
          ...(mail.replyTo ? { reply_to: mail.replyTo } : {}),
          subject: mail.subject,
          content,
          ...(mail.headers && Object.keys(mail.headers).length > 0 ? { headers: mail.headers } : {}),
        }),
      },
      this.fetcher,
      this.policy,
    );
    return { messageId: res.headers.get("x-message-id") };
  }

  /** The API key's scopes: proves it works and shows whether it may send mail. */
  async scopes(): Promise<string[]> {
    const res = await providerFetch(
      "sendgrid",
      joinUrl(this.baseUrl, "v3/scopes"),
      { headers: { authorization: `Bearer ${this.apiKey}`, accept: "application/json" } },
      this.fetcher,
      this.policy,
    );
    return ((await res.json()) as { scopes?: string[] }).scopes ?? [];
  }
}
