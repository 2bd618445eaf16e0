/**
 * Logs a conversation on its visitor's HubSpot contact when it is resolved or escalated. The
 * visitor is matched by email (see `visitorEmailOf`) and a contact is created when none has it;
 * the match is kept per conversation, so retries and later notes use the same contact and the
 * dashboard can link to it. Each note is written once per event (`sendOnce`), whatever the
 * queue's retries.
 */
import { and, eq } from "drizzle-orm";
import { conversationStub } from "../../conversation/service";
import type { ConversationView } from "../../conversation/conversation-view";
import { outboundPolicy } from "../../lib/network-policy";
import { nowIso } from "../../lib/time";
import { createDb, schema } from "../../storage/db";
import { hubspotSettings, type HubSpotSettings } from "../channel-settings";
import { sendOnce } from "../once";
import { TRANSCRIPT_MESSAGES } from "../transcript";
import { contactUrl, HubSpotClient } from "./client";
import { conversationNote, visitorEmailOf, visitorNameOf, type CrmLogEvent } from "./conversation-note";

const { crm_contacts } = schema;

/** The CRM contact a conversation is matched to, as stored. */
export type CrmContactRow = typeof crm_contacts.$inferSelect;

/** `processed_events.source` of the notes written, one per event (`sendOnce`). */
export const HUBSPOT_NOTE_SOURCE = "hubspot-note";

/**
 * `processed_events.event_id` of one event's note. The escalation sweep (`stuck-escalations.ts`)
 * builds the same key in SQL for `escalated`: change both together.
 */
export function hubspotNoteKey(req: Pick<CrmLogRequest, "workspaceId" | "conversationId" | "event" | "eventKey">): string {
  return `${req.workspaceId}:${req.conversationId}:${req.event}:${req.eventKey}`;
}

/** What logging did. */
export type CrmLogOutcome = "logged" | "already_logged" | "not_configured" | "no_email" | "no_conversation";

/** One conversation event to log. */
export interface CrmLogRequest {
  workspaceId: string;
  conversationId: string;
  event: CrmLogEvent;
  /** Names this occurrence of the event (the escalation's id, the resolution's time): one note each. */
  eventKey: string;
  escalationReason?: string | null | undefined;
}

/** The stored contact match of a conversation, or null. */
export async function storedCrmContact(env: Env, workspaceId: string, conversationId: string): Promise<CrmContactRow | null> {
  const row = await createDb(env.DB)
    .select()
    .from(crm_contacts)
    .where(and(eq(crm_contacts.workspace_id, workspaceId), eq(crm_contacts.conversation_id, conversationId), eq(crm_contacts.provider, "hubspot")))
    .get();
  return row ?? null;
}

/** Finds (or creates) the visitor's contact and keeps the match. */
async function matchContact(env: Env, client: HubSpotClient, settings: HubSpotSettings, conv: ConversationView, email: string): Promise<CrmContactRow> {
  const stored = await storedCrmContact(env, conv.workspace_id, conv.id);
  if (stored && stored.email === email) return stored;
  const name = visitorNameOf(conv);
  const found = await client.findContactByEmail(email);
  const { contact, created } = found ? { contact: found, created: false } : await client.createContact({ email, ...name });
  const portalId = settings.config.portal_id;
  const account = portalId ? { portalId, uiDomain: "app.hubspot.com" } : await client.accountDetails();
  const fullName = [contact.firstname ?? name.firstname, contact.lastname ?? name.lastname].filter(Boolean).join(" ") || null;
  const now = nowIso();
  const values = {
    contact_id: contact.id,
    email,
    name: fullName,
    url: contactUrl(account.uiDomain, account.portalId, contact.id),
    created_contact: created,
    updated_at: now,
  };
  return createDb(env.DB)
    .insert(crm_contacts)
    .values({ workspace_id: conv.workspace_id, conversation_id: conv.id, provider: "hubspot", ...values, created_at: now })
    .onConflictDoUpdate({ target: [crm_contacts.workspace_id, crm_contacts.conversation_id, crm_contacts.provider], set: values })
    .returning()
    .get();
}

/**
 * Logs the event on the visitor's HubSpot contact. Throws a `ProviderError` when HubSpot
 * failed, so the queue retries (no sooner than its `Retry-After`).
 */
export async function logConversationToCrm(env: Env, req: CrmLogRequest): Promise<CrmLogOutcome> {
  const settings = await hubspotSettings(env, req.workspaceId);
  if (!settings) return "not_configured";
  const stub = await conversationStub(env, req.workspaceId, req.conversationId);
  const conv = await stub.describe();
  if (!conv || conv.workspace_id !== req.workspaceId) return "no_conversation";
  const email = visitorEmailOf(conv);
  if (!email) return "no_email";

  const client = new HubSpotClient(settings.accessToken, { baseUrl: settings.config.api_base_url, policy: outboundPolicy(env) });
  const contact = await matchContact(env, client, settings, conv, email);
  const sent = await sendOnce(env.DB, HUBSPOT_NOTE_SOURCE, hubspotNoteKey(req), async () => {
    const messages = await stub.listMessages(0, TRANSCRIPT_MESSAGES);
    const body = conversationNote(req.event, conv, messages, {
      transcriptUrl: `${env.DASHBOARD_URL.replace(/\/+$/, "")}/conversations/${conv.id}`,
      escalationReason: req.escalationReason,
    });
    await client.createContactNote(contact.contact_id, body, nowIso());
  });
  return sent === "sent" ? "logged" : "already_logged";
}
