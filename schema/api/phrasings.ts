/** Learned phrasings: visitors' wordings of the questions a document answers, used in retrieval. */
import { z } from "@hono/zod-openapi";
import { idOf, isoTimestamp } from "./common";
import { ConversationSchema } from "./conversations";

/** Longest learned phrasing, in characters: a question, not an article. */
export const PHRASING_MAX_CHARS = 500;

/** A learned phrasing: a visitor's wording of a question the document answers, used in retrieval. */
export const PhrasingSchema = z
  .object({
    id: z.string().openapi({ example: "phr_3fK9wQ2mZ8pL1xR7tY4v" }),
    document_id: z.string(),
    text: z.string(),
    /** The conversation it was learned from; null when staff wrote it. */
    conversation_id: z.string().nullable(),
    created_at: isoTimestamp,
  })
  .openapi("Phrasing");

/** `POST /documents/:id/phrasings`: a wording of a question the document answers. */
export const PhrasingCreateBody = z
  .strictObject({
    text: z.string().min(1).max(PHRASING_MAX_CHARS),
    /** The conversation whose visitor asked it this way; the phrasing is then erased with that visitor's data. */
    conversation_id: idOf("conv").optional(),
  })
  .openapi("PhrasingCreate");

/** `POST /conversations/:id/resolve`: optionally, the document that answers the question the AI could not. */
export const ResolveBody = z
  .strictObject({
    /** Keeps the visitor's unanswered question as a learned phrasing of this document (manager+). */
    document_id: idOf("doc").optional(),
  })
  .openapi("Resolve");

/** A resolved conversation; with `document_id` given, also the phrasing learned (null when the visitor asked nothing to learn). */
export const ResolvedConversationSchema = ConversationSchema.extend({ learned_phrasing: PhrasingSchema.nullable().optional() }).openapi("ResolvedConversation");

export type Phrasing = z.infer<typeof PhrasingSchema>;
export type ResolvedConversation = z.infer<typeof ResolvedConversationSchema>;
