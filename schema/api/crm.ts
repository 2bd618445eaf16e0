/** The CRM contact (HubSpot) a conversation's visitor is matched to. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "./common";

/** A matched contact: who it is and where it opens in the CRM. */
export const CrmContactSchema = z
  .object({
    provider: z.enum(["hubspot"]),
    contact_id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    /** The contact's page in HubSpot. */
    url: z.string().nullable(),
    /** True when the platform created the contact because none had the visitor's email. */
    created: z.boolean(),
    matched_at: isoTimestamp,
  })
  .openapi("CrmContact");

/** `GET /conversations/:id/crm-contact`: the match, or null before the conversation was logged. */
export const ConversationCrmContactSchema = z.object({ contact: CrmContactSchema.nullable() }).openapi("ConversationCrmContact");

export type CrmContact = z.infer<typeof CrmContactSchema>;
export type ConversationCrmContact = z.infer<typeof ConversationCrmContactSchema>;
