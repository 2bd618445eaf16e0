/**
 * Finds the conversation a channel message belongs to (by the channel's thread key in
 * `conversations.external_ref`), or starts one: one conversation per Slack thread, WhatsApp
 * number or email thread.
 */
import type { Principal } from "../auth/principal";
import type { MetadataValue } from "../conversation/conversation-view";
import { startConversation } from "../conversation/service";
import type { ChannelName } from "./jobs";

/** What a channel knows about the sender when a message arrives. */
export interface ChannelConversation {
  workspace_id: string;
  assistant_id: string;
  channel: ChannelName;
  external_ref: string;
  visitor_id: string;
  metadata: Record<string, MetadataValue>;
}

/** The platform acting for a channel: starting a conversation needs the manager role. */
function channelPrincipal(workspaceId: string, channel: ChannelName): Principal {
  return { kind: "secret_key", workspaceId, keyId: `channel:${channel}`, role: "manager" };
}

/** The id of the latest live conversation with this thread key, or null. */
export async function findChannelConversation(
  db: D1Database,
  workspaceId: string,
  channel: ChannelName,
  externalRef: string,
): Promise<{ id: string; visitor_id: string } | null> {
  return db
    .prepare(
      `SELECT id, visitor_id FROM conversations
       WHERE workspace_id = ? AND channel = ? AND external_ref = ? AND deleted_at IS NULL
       ORDER BY created_at DESC LIMIT 1`,
    )
    .bind(workspaceId, channel, externalRef)
    .first<{ id: string; visitor_id: string }>();
}

/** The conversation for this thread, started when there is none yet. */
export async function findOrStartConversation(env: Env, input: ChannelConversation): Promise<{ id: string; created: boolean }> {
  const existing = await findChannelConversation(env.DB, input.workspace_id, input.channel, input.external_ref);
  if (existing) return { id: existing.id, created: false };
  const { conversation } = await startConversation(env, channelPrincipal(input.workspace_id, input.channel), {
    assistant_id: input.assistant_id,
    visitor_id: input.visitor_id,
    channel: input.channel,
    channel_metadata: input.metadata,
    external_ref: input.external_ref,
  });
  return { id: conversation.id, created: true };
}
