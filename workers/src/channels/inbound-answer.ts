/**
 * The queue side of a channel message: put it into its conversation (the Durable Object
 * answers it as it answers the widget), take the final answer, and send it back through the
 * channel. Safe to repeat: the provider's message id is the conversation's `client_id`, so a
 * retried job replays the stored answer instead of generating a new one, and each part of an
 * answer is sent once.
 */
import type { MessageView } from "../../../schema/protocol";
import { confirmQuestionText } from "../conversation/action-text";
import { storeAttachment } from "../conversation/attachments";
import { detectLanguage } from "../conversation/language";
import { readEvents } from "../conversation/event-stream";
import { ApiError } from "../lib/errors";
import { outboundPolicy } from "../lib/network-policy";
import { currentTraceparent } from "../lib/trace-context";
import { conversationStub } from "../conversation/service";
import { ChannelNotConfigured, type ChannelSender } from "./channel-sender";
import { whatsAppSettings } from "./channel-settings";
import { senderFor } from "./create-channel-sender";
import { replyTargetOf, type AgentReplyJob, type InboundMessageJob } from "./jobs";
import { TwilioClient } from "./whatsapp/client";
import { workspacePlace } from "../storage/data-region";

/** Said when a message carries only files the assistant cannot read. */
export const TEXT_ONLY_REPLY =
  "Thanks, I received your file. I can only read text messages, so please type your question and I'll help right away.";

/** Downloads a WhatsApp message's media into the conversation's attachments; returns links and what was refused. */
async function keepMedia(env: Env, job: InboundMessageJob): Promise<{ links: string[]; refused: number }> {
  const media = job.media ?? [];
  if (media.length === 0) return { links: [], refused: 0 };
  const settings = await whatsAppSettings(env, job.workspace_id);
  if (!settings) throw new ChannelNotConfigured("twilio", "the Twilio account");
  if (settings.config.media === "reject") return { links: [], refused: media.length };
  const client = new TwilioClient(settings.accountSid, settings.authToken, { baseUrl: settings.config.api_base_url, policy: outboundPolicy(env) });
  const links: string[] = [];
  let refused = 0;
  for (const [i, item] of media.entries()) {
    const res = await client.fetchMedia(item.url);
    try {
      const ext = item.content_type.split("/")[1]?.replace(/[^a-z0-9]/gi, "") || "bin";
      const view = await storeAttachment(
        (await workspacePlace(env, job.workspace_id)).files,
        { workspaceId: job.workspace_id, conversationId: job.conversation_id },
        { name: `whatsapp-${job.event_id}-${i + 1}.${ext}`, bytes: new Uint8Array(await res.arrayBuffer()) },
      );
      links.push(`[${view.filename}](${job.origin}/api/v1/conversations/${job.conversation_id}/attachments/${view.id})`);
    } catch (err) {
      // Too large, or not an image or PDF: the visitor is told the assistant reads text.
      if (!(err instanceof ApiError)) throw err;
      refused += 1;
    }
  }
  return { links, refused };
}

/** What a visitor message led to: the final answer (null when none is given, a person took over), or a changing call to confirm. */
type Reply = { answer: MessageView | null } | { confirm: { call_id: string; summary: string } };

/**
 * The conversation's reply to a visitor message. A changing call's `confirm_request` ends the
 * stream (the object closes it): the visitor is asked, and their next message (a yes or a no)
 * carries the rest of the answer in its own job.
 */
async function replyOf(env: Env, workspaceId: string, conversationId: string, content: string, clientId: string): Promise<Reply> {
  const stream = await (await conversationStub(env, workspaceId, conversationId)).submit(content, clientId, currentTraceparent());
  let answer: MessageView | null = null;
  let confirm: { call_id: string; summary: string } | null = null;
  // Read to the end: the object ends the stream after a confirmation request.
  for await (const event of readEvents(stream)) {
    if (event.type === "response") answer = event.message;
    if (event.type === "confirm_request") confirm = { call_id: event.call_id, summary: event.summary };
  }
  return confirm && !answer ? { confirm } : { answer };
}

/** Sends through `sender`, and keeps the conversation's delivery note in step with the outcome. */
async function deliver(env: Env, sender: ChannelSender, workspaceId: string, conversationId: string, text: string, key: string): Promise<void> {
  const stub = await conversationStub(env, workspaceId, conversationId);
  try {
    await sender.send(text, key, conversationId);
  } catch (err) {
    await stub.recordDeliveryError({ provider: sender.provider, message: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  await stub.recordDeliveryError(null);
}

/** Answers a channel message and sends the answer back; throws a `ProviderError` to be retried. */
export async function answerInboundMessage(env: Env, job: InboundMessageJob): Promise<"answered" | "text_only" | "silent" | "confirming"> {
  const sender = await senderFor(env, job.workspace_id, job.reply);
  const key = `${job.channel}:${job.workspace_id}:${job.event_id}`;
  const { links, refused } = await keepMedia(env, job);
  if (!job.text) {
    // Files without words: nothing to answer, but the visitor hears back.
    if (links.length > 0 || refused > 0) {
      await deliver(env, sender, job.workspace_id, job.conversation_id, TEXT_ONLY_REPLY, `${key}:text-only`);
      return "text_only";
    }
    return "silent";
  }
  const attachments = [...(job.attachment_links ?? []), ...links];
  const content = attachments.length > 0 ? `${job.text}\n\n${attachments.join("\n")}` : job.text;
  const reply = await replyOf(env, job.workspace_id, job.conversation_id, content, job.event_id);
  if ("confirm" in reply) {
    const question = confirmQuestionText(reply.confirm.summary, detectLanguage(job.text));
    await deliver(env, sender, job.workspace_id, job.conversation_id, question, `${key}:confirm:${reply.confirm.call_id}`);
    return "confirming";
  }
  const answer = reply.answer;
  if (!answer || answer.status === "failed" || answer.content.trim() === "") return "silent";
  const text = refused > 0 ? `${answer.content}\n\n${TEXT_ONLY_REPLY}` : answer.content;
  await deliver(env, sender, job.workspace_id, job.conversation_id, text, key);
  return "answered";
}

/** Sends a person's reply (from Zendesk) to the visitor's channel. */
export async function relayAgentReply(env: Env, job: AgentReplyJob): Promise<"sent" | "no_channel"> {
  const conv = await (await conversationStub(env, job.workspace_id, job.conversation_id)).describe();
  if (!conv || conv.workspace_id !== job.workspace_id) return "no_channel";
  const target = replyTargetOf(conv.metadata);
  if (!target) return "no_channel";
  const sender = await senderFor(env, job.workspace_id, target);
  await deliver(env, sender, job.workspace_id, job.conversation_id, job.content, `agent:${job.message_id}`);
  return "sent";
}
