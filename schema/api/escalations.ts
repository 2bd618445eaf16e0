/** Escalations: a conversation handed to a person, and where that hand-off was delivered. */
import { z } from "@hono/zod-openapi";
import { idOf, isoTimestamp, PaginationQuery } from "./common";

/** Why a conversation was escalated. */
export const EscalationReasonSchema = z.enum(["low_confidence", "user_request", "no_match", "negative_sentiment"]);

/** An escalation as the API and the socket show it. */
export const EscalationSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    reason: EscalationReasonSchema,
    note: z.string().nullable(),
    status: z.enum(["open", "resolved"]),
    ticket_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Escalation");

/** `POST /conversations/:id/escalate`. */
export const EscalateBody = z.strictObject({ reason: EscalationReasonSchema, note: z.string().max(2_000).optional() });

/** An escalation with where it was delivered: the ticket, and the last delivery failure if any. */
export const EscalationRecordSchema = z
  .object({
    id: z.string(),
    conversation_id: z.string(),
    reason: EscalationReasonSchema,
    note: z.string().nullable(),
    status: z.enum(["open", "resolved"]),
    ticket_id: z.string().nullable(),
    ticket_provider: z.string().nullable(),
    /** Why the last notification attempt (Zendesk, Slack, email) failed; null once delivered. */
    last_error: z.string().nullable(),
    resolved_by: z.string().nullable(),
    resolved_at: isoTimestamp.nullable(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("EscalationRecord");

/** `GET /escalations` filters. */
export const EscalationListQuery = PaginationQuery.extend({
  status: z.enum(["open", "resolved"]).optional(),
  conversation_id: idOf("conv").optional(),
  /** `true`: only escalations whose last delivery failed. */
  failed: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
});

/** An escalation as the API shows it. */
export type Escalation = z.infer<typeof EscalationSchema>;
/** An escalation with its delivery. */
export type EscalationRecord = z.infer<typeof EscalationRecordSchema>;
