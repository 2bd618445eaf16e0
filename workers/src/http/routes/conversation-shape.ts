/**
 * The conversation resource as the API shows it (the `Conversation` schema), whichever side the
 * facts come from: a conversation object (one conversation) or the D1 index (the list).
 */
import { z } from "@hono/zod-openapi";
import { idOf, type Conversation, type VerifiedIdentity } from "../../../../schema/api";
import type { ConversationView } from "../../conversation/conversation-view";

/** The `{id}` path parameter of every conversation route. */
export const ConversationIdParam = z.strictObject({ id: idOf("conv").openapi({ param: { name: "id", in: "path" } }) });

/** What both a conversation object and a D1 index row tell about a conversation. */
export type ConversationFacts = Pick<
  ConversationView,
  "id" | "assistant_id" | "channel" | "visitor_id" | "status" | "human_takeover" | "satisfaction_score" | "created_at" | "updated_at"
> & {
  metadata: unknown;
  /** Known to the conversation object; the D1 index does not keep it. */
  language?: string | null;
  /** Whether the visitor was verified: a boolean from the object, D1's boolean column from the index. */
  verified: boolean;
  /** The verified claims (null or absent when not verified). */
  identity?: unknown;
};

/** A conversation in the API's shape. */
export function toConversation(c: ConversationFacts): Conversation {
  return {
    id: c.id,
    assistant_id: c.assistant_id,
    channel: c.channel as Conversation["channel"],
    visitor_id: c.visitor_id,
    status: c.status,
    human_takeover: c.human_takeover,
    satisfaction_score: c.satisfaction_score,
    language: c.language ?? null,
    metadata: c.metadata as Record<string, unknown>,
    verified: c.verified && c.identity != null,
    ...(c.verified && c.identity != null ? { identity: c.identity as VerifiedIdentity } : {}),
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}
