/**
 * A thin typed client for HubSpot's CRM v3 API with a private app's access token: finding a
 * contact by email, creating one, logging a note on its timeline, and the account's details
 * (the connection test, and the app's host for links to contacts).
 */
import type { OutboundPolicy } from "../../lib/network-policy";
import { joinUrl, ProviderError, providerFetch, type ProviderClientOptions } from "../provider-error";

/** HubSpot's API host. */
export const HUBSPOT_API_BASE_URL = "https://api.hubapi.com";
/** HubSpot-defined association type of a note to a contact. */
export const NOTE_TO_CONTACT_ASSOCIATION = 202;
/** Contact properties read back: enough to show and link the contact. */
const CONTACT_PROPERTIES = ["email", "firstname", "lastname"];

/** A contact as this platform uses it. */
export interface HubSpotContact {
  id: string;
  email: string | null;
  firstname: string | null;
  lastname: string | null;
}

/** The account a token belongs to. */
export interface HubSpotAccount {
  portalId: number;
  /** The app's host for this account's data centre, e.g. `app.hubspot.com` or `app-eu1.hubspot.com`. */
  uiDomain: string;
}

interface ContactRecord {
  id: string;
  properties: Record<string, string | null | undefined>;
}

function toContact(r: ContactRecord): HubSpotContact {
  return { id: r.id, email: r.properties.email ?? null, firstname: r.properties.firstname ?? null, lastname: r.properties.lastname ?? null };
}

/** The existing contact's id in HubSpot's 409 answer to a duplicate email ("Contact already exists. Existing ID: 123"). */
export function existingContactId(err: unknown): string | null {
  if (!(err instanceof ProviderError) || err.status !== 409) return null;
  return /Existing ID: (\d+)/.exec(err.message)?.[1] ?? null;
}

/** HubSpot CRM calls for one account. */
export class HubSpotClient {
  private readonly baseUrl: string;
  private readonly fetcher: typeof fetch | undefined;
  private readonly policy: OutboundPolicy;

  constructor(
    private readonly accessToken: string,
    opts: ProviderClientOptions,
  ) {
    this.baseUrl = opts.baseUrl || HUBSPOT_API_BASE_URL;
    this.fetcher = opts.fetcher;
    this.policy = opts.policy;
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.accessToken}`, accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await providerFetch(
      "hubspot",
      joinUrl(this.baseUrl, path),
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      this.fetcher,
      this.policy,
    );
    return (await res.json()) as T;
  }

  /** The contact whose email is `email`, or null. */
  async findContactByEmail(email: string): Promise<HubSpotContact | null> {
    const found = await this.call<{ total: number; results: ContactRecord[] }>("POST", "crm/v3/objects/contacts/search", {
      filterGroups: [{ filters: [{ propertyName: "email", operator: "EQ", value: email }] }],
      properties: CONTACT_PROPERTIES,
      limit: 1,
    });
    const first = found.results[0];
    return first ? toContact(first) : null;
  }

  /** Creates a contact; a contact that already has the email (409) is returned by id instead. */
  async createContact(props: { email: string; firstname?: string | undefined; lastname?: string | undefined }): Promise<{ contact: HubSpotContact; created: boolean }> {
    const properties = Object.fromEntries(Object.entries(props).filter(([, v]) => v !== undefined && v !== ""));
    try {
      const record = await this.call<ContactRecord>("POST", "crm/v3/objects/contacts", { properties });
      return { contact: toContact(record), created: true };
    } catch (err) {
      const existing = existingContactId(err);
      if (existing === null) throw err;
      return { contact: { id: existing, email: props.email, firstname: props.firstname ?? null, lastname: props.lastname ?? null }, created: false };
    }
  }

  /** Logs a note (HTML body) on a contact's timeline at `timestamp`; returns the note's id. */
  async createContactNote(contactId: string, body: string, timestamp: string): Promise<{ id: string }> {
    const note = await this.call<{ id: string }>("POST", "crm/v3/objects/notes", {
      properties: { hs_timestamp: timestamp, hs_note_body: body },
      associations: [{ to: { id: contactId }, types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: NOTE_TO_CONTACT_ASSOCIATION }] }],
    });
    return { id: note.id };
  }

  /** The account the token belongs to. */
  async accountDetails(): Promise<HubSpotAccount> {
    const details = await this.call<{ portalId: number; uiDomain?: string }>("GET", "account-info/v3/details");
    return { portalId: details.portalId, uiDomain: details.uiDomain || "app.hubspot.com" };
  }
}

/** A contact's page in HubSpot's app. */
export function contactUrl(uiDomain: string, portalId: string | number, contactId: string): string {
  return `https://${uiDomain}/contacts/${portalId}/record/0-1/${contactId}`;
}
