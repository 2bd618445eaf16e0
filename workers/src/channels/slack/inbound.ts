/**
 * A Slack message for an assistant: find the thread's conversation and queue the answer.
 * Retries of the same event (Slack re-sends when it did not get a 2xx in 3 seconds) are
 * recognised by `event_id` and do nothing.
 */
import { claimEvent, releaseEvent } from "../once";
import { findOrStartConversation } from "../inbound-conversation";
import { replyTargetMetadata, type InboundMessageJob, type ReplyTarget } from "../jobs";
import type { SlackSettings } from "../channel-settings";
import type { SlackAction } from "./events";
import { withTraceparent } from "../../lib/trace-context";

/** `processed_events.source` of Slack deliveries. */
export const SLACK_EVENT_SOURCE = "slack";

/** What became of a Slack message event. */
export type SlackOutcome = "queued" | "duplicate" | "no_assistant";

/** The assistant answering in `channel`: the channel's own, else the workspace default. */
export function assistantForChannel(settings: SlackSettings, channel: string): string | null {
  return settings.config.channel_assistants?.[channel] ?? settings.config.assistant_id ?? null;
}

/** Records a Slack message and queues its answer; a repeated `event_id` is a no-op. */
export async function acceptSlackMessage(
  env: Env,
  workspaceId: string,
  settings: SlackSettings,
  msg: Extract<SlackAction, { kind: "message" }>,
  origin: string,
): Promise<SlackOutcome> {
  const assistantId = assistantForChannel(settings, msg.channel);
  if (!assistantId) return "no_assistant";
  const claimId = `${workspaceId}:${msg.event_id}`;
  if (!(await claimEvent(env.DB, SLACK_EVENT_SOURCE, claimId))) return "duplicate";
  try {
    const reply: ReplyTarget = { channel: "slack", slack_channel: msg.channel, thread_ts: msg.thread_ts };
    const conversation = await findOrStartConversation(env, {
      workspace_id: workspaceId,
      assistant_id: assistantId,
      channel: "slack",
      external_ref: `${msg.team_id}:${msg.channel}:${msg.thread_ts ?? "dm"}`,
      visitor_id: `slack:${msg.team_id}:${msg.user}`,
      metadata: { slack_team: msg.team_id, slack_channel: msg.channel, ...replyTargetMetadata(reply) },
    });
    const job: InboundMessageJob = {
      type: "inbound.message",
      workspace_id: workspaceId,
      conversation_id: conversation.id,
      channel: "slack",
      event_id: msg.event_id,
      text: msg.text,
      origin,
      reply,
    };
    await env.OUTBOUND_QUEUE.send(withTraceparent(job), { contentType: "json" });
    return "queued";
  } catch (err) {
    // Not queued: let Slack's retry try again rather than dropping the message.
    await releaseEvent(env.DB, SLACK_EVENT_SOURCE, claimId);
    throw err;
  }
}
