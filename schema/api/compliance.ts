/** Compliance: the audit log, and each visitor's data exported or erased on request. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp } from "./common";
import { ConversationSchema, VisitorIdSchema } from "./conversations";
import { MessageSchema } from "./messages";
import { PhrasingSchema } from "./phrasings";

/** One audited action: who did what to which object, from where. */
export const AuditLogSchema = z
  .object({
    id: z.string(),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    request_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("AuditLog");

/** The visitor id of `/visitors/:visitor_id…` routes. */
export const VisitorParam = z.strictObject({
  visitor_id: VisitorIdSchema.openapi({ param: { name: "visitor_id", in: "path" } }),
});

/** Everything held about one visitor of the workspace (`GET /visitors/:visitor_id/export`). */
export const VisitorExportSchema = z
  .object({
    visitor_id: z.string(),
    exported_at: isoTimestamp,
    conversations: z.array(
      ConversationSchema.extend({ satisfaction_comment: z.string().nullable(), messages: z.array(MessageSchema) }),
    ),
    /** The visitor's questions kept as learned phrasings of knowledge-base documents. */
    phrasings: z.array(PhrasingSchema),
  })
  .openapi("VisitorExport");

/** What an erasure removed: counts only, never the data. */
export const VisitorErasureSchema = z
  .object({
    visitor_id: z.string(),
    erased_at: isoTimestamp,
    conversations: z.number().int(),
    messages: z.number().int(),
    attachments: z.number().int(),
    analytics_events: z.number().int(),
    phrasings: z.number().int(),
  })
  .openapi("VisitorErasure");

/** An audit log entry. */
export type AuditLog = z.infer<typeof AuditLogSchema>;
/** A visitor's data export. */
export type VisitorExport = z.infer<typeof VisitorExportSchema>;
/** What a visitor's erasure removed. */
export type VisitorErasure = z.infer<typeof VisitorErasureSchema>;
