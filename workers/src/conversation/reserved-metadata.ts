/**
 * Conversation metadata is partly the client's (its own bookkeeping: a name, an order number)
 * and partly the platform's: keys that decide where replies are sent, what agents are told
 * about delivery, or what a channel established about the sender. A client must never set the
 * platform's keys, or it could steer a human agent's reply to any address or pose as a
 * verified sender.
 */
import type { MetadataValue } from "./conversation-view";

/** The key remembering where a channel conversation's answers and agent replies go (`channels/jobs.ts`). */
export const REPLY_METADATA_KEY = "channel_reply";

/**
 * Metadata keys only the platform writes, removed from whatever a client sends. A feature that
 * reads a new key from a conversation's metadata adds it here.
 */
export const RESERVED_METADATA_KEYS: readonly string[] = [
  // Where a channel conversation's answers and agent replies are sent (channels/jobs.ts).
  REPLY_METADATA_KEY,
  // Delivery failures shown to agents (ConversationDO.recordDeliveryError).
  "delivery_error",
  "delivery_error_at",
  // What a channel recorded about the sender when the conversation started.
  "slack_team",
  "slack_channel",
  "whatsapp_profile",
  "email_subject",
  // Sender authentication and identity verification results.
  "email_verified",
  "email_auth",
  "verified",
  "identity",
];

const RESERVED = new Set(RESERVED_METADATA_KEYS.map((k) => k.toLowerCase()));

/** True when `key` is one the platform owns (compared without regard to case). */
export function isReservedMetadataKey(key: string): boolean {
  return RESERVED.has(key.toLowerCase());
}

/** A client's metadata without the platform's keys. */
export function withoutReservedMetadata(metadata: Record<string, MetadataValue> | undefined): Record<string, MetadataValue> {
  const out: Record<string, MetadataValue> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!isReservedMetadataKey(key)) out[key] = value;
  }
  return out;
}
