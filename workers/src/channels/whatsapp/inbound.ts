/**
 * A WhatsApp message through Twilio: one conversation per sender's number. Twilio posts the
 * message as form fields (`MessageSid`, `From`, `To`, `Body`, `NumMedia`, `MediaUrl0`…).
 * https://www.twilio.com/docs/messaging/guides/webhook-request
 */
import { MAX_MESSAGE_CHARS } from "../../../../schema/protocol-limits";
import type { WhatsAppSettings } from "../channel-settings";
import { findOrStartConversation } from "../inbound-conversation";
import { replyTargetMetadata, type InboundMedia, type InboundMessageJob, type ReplyTarget } from "../jobs";
import { claimEvent, releaseEvent } from "../once";
import { withTraceparent } from "../../lib/trace-context";

/** `processed_events.source` of Twilio messages (keyed by MessageSid). */
export const WHATSAPP_EVENT_SOURCE = "twilio";
/** Twilio sends at most 10 media items per message. */
const MAX_MEDIA = 10;

/** What became of a Twilio delivery. */
export type WhatsAppOutcome = "queued" | "duplicate" | "not_a_message" | "wrong_account" | "no_assistant";

/** Records a WhatsApp message and queues its answer; a repeated MessageSid is a no-op. */
export async function acceptWhatsAppMessage(
  env: Env,
  workspaceId: string,
  settings: WhatsAppSettings,
  form: URLSearchParams,
  origin: string,
): Promise<WhatsAppOutcome> {
  const sid = form.get("MessageSid") ?? form.get("SmsMessageSid");
  const from = form.get("From");
  const to = form.get("To");
  // Status callbacks (delivered, read…) may share the URL: they carry no inbound message.
  if (!sid || !from || !to || (form.has("MessageStatus") && !form.has("Body"))) return "not_a_message";
  if (form.get("AccountSid") !== settings.accountSid) return "wrong_account";
  const assistantId = settings.config.assistant_id;
  if (!assistantId) return "no_assistant";

  const media: InboundMedia[] = [];
  const count = Math.min(Number(form.get("NumMedia") ?? "0") || 0, MAX_MEDIA);
  for (let i = 0; i < count; i++) {
    const url = form.get(`MediaUrl${i}`);
    if (url) media.push({ url, content_type: form.get(`MediaContentType${i}`) ?? "application/octet-stream" });
  }

  const claimId = `${workspaceId}:${sid}`;
  if (!(await claimEvent(env.DB, WHATSAPP_EVENT_SOURCE, claimId))) return "duplicate";
  try {
    // Answers come from the number the visitor wrote to, unless a sender is configured.
    const reply: ReplyTarget = { channel: "whatsapp", to: from, from: settings.fromNumber ?? to };
    const conversation = await findOrStartConversation(env, {
      workspace_id: workspaceId,
      assistant_id: assistantId,
      channel: "whatsapp",
      external_ref: from,
      visitor_id: from,
      metadata: { whatsapp_profile: (form.get("ProfileName") ?? "").slice(0, 100), ...replyTargetMetadata(reply) },
    });
    const job: InboundMessageJob = {
      type: "inbound.message",
      workspace_id: workspaceId,
      conversation_id: conversation.id,
      channel: "whatsapp",
      event_id: sid,
      text: (form.get("Body") ?? "").trim().slice(0, MAX_MESSAGE_CHARS),
      ...(media.length > 0 ? { media } : {}),
      origin,
      reply,
    };
    await env.OUTBOUND_QUEUE.send(withTraceparent(job), { contentType: "json" });
    return "queued";
  } catch (err) {
    await releaseEvent(env.DB, WHATSAPP_EVENT_SOURCE, claimId);
    throw err;
  }
}
