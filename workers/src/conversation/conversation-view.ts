/**
 * A conversation as the Worker's routes and jobs see it through the conversation object's RPC:
 * what creating one takes, and what describing one gives back.
 */
import type { VerifiedIdentity } from "../../../schema/api";
import type { ConversationStatus, MessageView, ServerEvent } from "./protocol";
import type { ConversationRow } from "./store-rows";

/** Metadata values a client may attach: flat and serialisable. */
export type MetadataValue = string | number | boolean | null;

/** What creating a conversation needs. */
export interface ConversationInit {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  metadata: Record<string, MetadataValue>;
  external_ref: string | null;
  /** The claims a verified start proved; absent or null for anonymous visitors. */
  identity?: VerifiedIdentity | null;
}

/** The conversation as the API shows it. */
export interface ConversationView {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  status: ConversationStatus;
  human_takeover: boolean;
  satisfaction_score: number | null;
  /** The visitor's words with their rating (the data export shows them; the API's view does not). */
  satisfaction_comment: string | null;
  language: string | null;
  metadata: Record<string, MetadataValue>;
  /** The visitor proved who they are with the assistant's identity secret. */
  verified: boolean;
  /** What they proved, when verified; null otherwise. */
  identity: VerifiedIdentity | null;
  created_at: string;
  updated_at: string;
}

/** A message sent over REST, and how it was taken. */
export interface SubmitResult {
  message: MessageView;
  duplicate: boolean;
}

/** The metadata stored with a conversation. */
export function metadataOf(c: ConversationRow): Record<string, MetadataValue> {
  return JSON.parse(c.metadata) as Record<string, MetadataValue>;
}

/**
 * The verified identity of a conversation's visitor (`user_id`, and `email`, `name` when a token
 * carried them), or null for an anonymous one. What actions may put into their parameters: these
 * claims were proved with the assistant's identity secret, never chosen by the visitor or a model.
 */
export function verifiedIdentityOf(c: Pick<ConversationRow, "verified" | "identity">): VerifiedIdentity | null {
  if (c.verified !== 1 || !c.identity) return null;
  const parsed = JSON.parse(c.identity) as VerifiedIdentity;
  return {
    user_id: parsed.user_id,
    ...(parsed.email !== undefined ? { email: parsed.email } : {}),
    ...(parsed.name !== undefined ? { name: parsed.name } : {}),
  };
}

/** The conversation's row as the API shows it. */
export function toConversationView(c: ConversationRow): ConversationView {
  return {
    id: c.id,
    workspace_id: c.workspace_id,
    assistant_id: c.assistant_id,
    channel: c.channel,
    visitor_id: c.visitor_id,
    status: c.status,
    human_takeover: c.human_takeover === 1,
    satisfaction_score: c.satisfaction_score,
    satisfaction_comment: c.satisfaction_comment,
    language: c.language,
    metadata: metadataOf(c),
    verified: verifiedIdentityOf(c) !== null,
    identity: verifiedIdentityOf(c),
    created_at: c.created_at,
    updated_at: c.updated_at,
  };
}

/** The `status` event every socket gets on connect and on every change of status or takeover. */
export function statusEvent(c: ConversationRow): ServerEvent {
  return { type: "status", status: c.status, human_takeover: c.human_takeover === 1 };
}
