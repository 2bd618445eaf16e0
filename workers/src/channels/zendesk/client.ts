/**
 * A thin typed client for the Zendesk Support API: creating a ticket for an escalation and
 * `users/me` (the connection test). Authenticates with an API token (`{email}/token:{token}`).
 */
import { basicAuth, joinUrl, providerFetch, type ProviderClientOptions } from "../provider-error";
import type { OutboundPolicy } from "../../lib/network-policy";

/** Zendesk's API host for a subdomain. */
export function zendeskBaseUrl(subdomain: string): string {
  return `https://${subdomain}.zendesk.com`;
}

/** A custom field value on a ticket. */
export interface ZendeskCustomField {
  id: number;
  value: string | number | boolean | null;
}

/** What creating a ticket takes here. */
export interface NewZendeskTicket {
  subject: string;
  /** The first comment: it becomes the ticket's description. */
  description: string;
  requester?: { name: string; email?: string | undefined } | undefined;
  tags?: string[] | undefined;
  custom_fields?: ZendeskCustomField[] | undefined;
  /** Our conversation id, so the ticket points back at it. */
  external_id?: string | undefined;
  priority?: "urgent" | "high" | "normal" | "low" | undefined;
}

/** Zendesk Support calls for one account. */
export class ZendeskClient {
  private readonly fetcher: typeof fetch | undefined;
  private readonly policy: OutboundPolicy;

  constructor(
    private readonly baseUrl: string,
    private readonly email: string,
    private readonly apiToken: string,
    opts: Omit<ProviderClientOptions, "baseUrl">,
  ) {
    this.fetcher = opts.fetcher;
    this.policy = opts.policy;
  }

  private get auth(): string {
    return basicAuth(`${this.email}/token`, this.apiToken);
  }

  /** Creates a ticket; returns its id. */
  async createTicket(t: NewZendeskTicket): Promise<{ id: number }> {
    const ticket: Record<string, unknown> = { subject: t.subject, comment: { body: t.description } };
    if (t.requester) ticket.requester = t.requester;
    if (t.tags?.length) ticket.tags = t.tags;
    if (t.custom_fields?.length) ticket.custom_fields = t.custom_fields;
    if (t.external_id) ticket.external_id = t.external_id;
    if (t.priority) ticket.priority = t.priority;
    const res = await providerFetch(
      "zendesk",
      joinUrl(this.baseUrl, "api/v2/tickets.json"),
      {
        method: "POST",
        headers: { authorization: this.auth, "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify({ ticket }),
      },
      this.fetcher,
      this.policy,
    );
    const body = (await res.json()) as { ticket: { id: number } };
    return { id: body.ticket.id };
  }

  /** The authenticated user; Zendesk answers anonymous (no id) when the token is wrong. */
  async me(): Promise<{ id: number | null; email: string | null; role: string }> {
    const res = await providerFetch(
      "zendesk",
      joinUrl(this.baseUrl, "api/v2/users/me.json"),
      { headers: { authorization: this.auth, accept: "application/json" } },
      this.fetcher,
      this.policy,
    );
    return ((await res.json()) as { user: { id: number | null; email: string | null; role: string } }).user;
  }
}
