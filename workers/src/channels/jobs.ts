/**
 * The jobs the outbound queue carries. Webhooks only verify, record and enqueue; the queue
 * consumer does the slow part (answering, calling providers) with retries and a dead-letter
 * queue behind it.
 */
import type { MetadataValue } from "../conversation/conversation-view";
import { REPLY_METADATA_KEY } from "../conversation/reserved-metadata";

/** Channels a visitor can reach an assistant through, besides the web widget and the API. */
export type ChannelName = "slack" | "whatsapp" | "email";

/** Where an answer goes back to, per channel. */
export type ReplyTarget =
  | { channel: "slack"; slack_channel: string; thread_ts: string | null }
  | { channel: "whatsapp"; to: string; from: string }
  | {
      channel: "email";
      to: string;
      to_name: string | null;
      /** Our address the customer wrote to; answers come from it. */
      from: string;
      subject: string;
      /** Message-ID of the customer's email, for `In-Reply-To`. */
      in_reply_to: string | null;
      /** The thread's Message-IDs so far, oldest first, for `References`. */
      references: string[];
    };

/** Media a WhatsApp message carried, fetched by the consumer with the account's credentials. */
export interface InboundMedia {
  url: string;
  content_type: string;
}

/** A visitor wrote on a channel: answer it there. */
export interface InboundMessageJob {
  type: "inbound.message";
  workspace_id: string;
  conversation_id: string;
  channel: ChannelName;
  /** The provider's id of the message; the conversation's `client_id`, so it is answered once. */
  event_id: string;
  text: string;
  media?: InboundMedia[];
  /** Links to files already stored with the conversation (email attachments). */
  attachment_links?: string[];
  /** Origin of the public API, for attachment links. */
  origin: string;
  reply: ReplyTarget;
}

/** A person answered (a Zendesk agent's comment): send it to the visitor's channel. */
export interface AgentReplyJob {
  type: "agent.reply";
  workspace_id: string;
  conversation_id: string;
  message_id: string;
  content: string;
}

/** An escalation that the team should hear about where they work (Zendesk, Slack, email). */
export interface EscalationJob {
  type: "escalation.created";
  workspace_id: string;
  assistant_id: string;
  conversation_id: string;
  escalation_id: string;
  reason: string;
  channel: string;
}

/** A conversation was resolved: log it in the workspace's CRM (HubSpot), when one is connected. */
export interface ConversationResolvedJob {
  type: "conversation.resolved";
  workspace_id: string;
  conversation_id: string;
  /** When it was resolved: a conversation resolved again after reopening is logged again. */
  resolved_at: string;
}

/** Every job the outbound queue carries. */
export type OutboundJob = EscalationJob | InboundMessageJob | AgentReplyJob | ConversationResolvedJob;

/** The reply target kept in a conversation's metadata (for agent replies later). */
export function replyTargetMetadata(reply: ReplyTarget): Record<string, MetadataValue> {
  return { [REPLY_METADATA_KEY]: JSON.stringify(reply) };
}

/** The reply target a channel conversation was started with, or null. */
export function replyTargetOf(metadata: Record<string, MetadataValue>): ReplyTarget | null {
  const raw = metadata[REPLY_METADATA_KEY];
  if (typeof raw !== "string") return null;
  try {
    return JSON.parse(raw) as ReplyTarget;
  } catch {
    return null;
  }
}
