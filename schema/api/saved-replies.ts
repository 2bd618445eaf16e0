/** Saved replies: a workspace's reusable answers for agents, with variables filled in when inserted. */
import { z } from "@hono/zod-openapi";
import { idOf, isoTimestamp } from "./common";

/** Longest saved reply, in characters: the limit of an agent's message. */
export const SAVED_REPLY_MAX_CHARS = 4_000;
/** The variables a saved reply's body may use. */
export const SAVED_REPLY_VARIABLES = ["visitor.name", "conversation.link", "assistant.name"] as const;

const title = z.string().trim().min(1).max(120);
const body = z
  .string()
  .min(1)
  .max(SAVED_REPLY_MAX_CHARS)
  .refine((text) => [...text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].every((m) => (SAVED_REPLY_VARIABLES as readonly string[]).includes(m[1] ?? "")), {
    message: `unknown variable; use ${SAVED_REPLY_VARIABLES.map((v) => `{{${v}}}`).join(", ")}`,
  });

/** A saved reply. */
export const SavedReplySchema = z
  .object({
    id: z.string().openapi({ example: "srp_3fK9wQ2mZ8pL1xR7tY4v" }),
    title: z.string(),
    body: z.string(),
    /** How many times agents used it; the list is sorted by it. */
    use_count: z.number().int(),
    created_at: isoTimestamp,
    updated_at: isoTimestamp,
  })
  .openapi("SavedReply");

/** `POST /saved-replies`. */
export const SavedReplyCreateBody = z.strictObject({ title, body }).openapi("SavedReplyCreate");

/** `PATCH /saved-replies/:id`: the fields to change. */
export const SavedReplyUpdateBody = z
  .strictObject({ title: title.optional(), body: body.optional() })
  .refine((b) => b.title !== undefined || b.body !== undefined, { message: "give `title` or `body`" })
  .openapi("SavedReplyUpdate");

/** `GET /saved-replies`: `q` narrows by title or body (case-insensitive). */
export const SavedReplyListQuery = z.strictObject({ q: z.string().trim().max(120).optional() });

/** `POST /saved-replies/:id/use`: optionally the conversation it is used in, to fill the variables. */
export const SavedReplyUseBody = z.strictObject({ conversation_id: idOf("conv").optional() }).openapi("SavedReplyUse");

/** A used saved reply: its new count and, with a conversation given, the body with the variables filled. */
export const SavedReplyUseSchema = z
  .object({ reply: SavedReplySchema, text: z.string().nullable() })
  .openapi("SavedReplyUsed");

export type SavedReply = z.infer<typeof SavedReplySchema>;
