/**
 * An email for an assistant: thread it into a conversation, keep its attachments with the
 * conversation, strip the quoted history and signature, and queue the answer.
 */
import { MAX_MESSAGE_CHARS } from "../../../../schema/protocol-limits";
import { storeAttachment } from "../../conversation/attachments";
import { conversationStub } from "../../conversation/service";
import { ApiError } from "../../lib/errors";
import { sha256Hex } from "../../lib/crypto";
import type { EmailSettings } from "../channel-settings";
import { findOrStartConversation } from "../inbound-conversation";
import { replyTargetMetadata, type InboundMessageJob, type ReplyTarget } from "../jobs";
import { claimEvent, releaseEvent } from "../once";
import { isAutomated, type InboundEmail } from "./inbound-parse";
import { extractReply, htmlToText } from "./reply-text";
import { judgeSender, type SenderVerdict } from "./sender-auth";
import { replySubject, threadOf } from "./threading";
import { workspacePlace } from "../../storage/data-region";
import { withTraceparent } from "../../lib/trace-context";

/** `processed_events.source` of inbound emails (keyed by Message-ID). */
export const EMAIL_EVENT_SOURCE = "email";

/** What became of an inbound email. */
export type EmailOutcome = "queued" | "held_unverified" | "duplicate" | "ignored_automated" | "ignored_own" | "no_assistant" | "empty";

/** Longest escalation note, as the API accepts for `POST /conversations/:id/escalate`. */
const MAX_NOTE_CHARS = 2_000;

/**
 * Mail whose sender failed SPF and DKIM: no answer (it would go to whoever was impersonated),
 * its own conversation (a forged reply never joins a real customer's thread), marked
 * `email_verified: false`, and escalated with the email's text so a person decides.
 */
async function holdUnverified(
  env: Env,
  workspaceId: string,
  assistantId: string,
  email: InboundEmail,
  eventId: string,
  question: string,
  verdict: SenderVerdict,
  reply: ReplyTarget,
): Promise<void> {
  const { id } = await findOrStartConversation(env, {
    workspace_id: workspaceId,
    assistant_id: assistantId,
    channel: "email",
    external_ref: `unverified|${email.from.email}|${eventId}`,
    visitor_id: `email:${email.from.email}`,
    metadata: {
      email_subject: email.subject.slice(0, 200),
      email_verified: false,
      email_auth: verdict.summary.slice(0, 300),
      ...replyTargetMetadata(reply),
    },
  });
  const files = email.attachments.map((f) => f.name || "attachment");
  const note = [
    `Not answered automatically: the sender could not be verified (${verdict.summary}).`,
    `From: ${email.from.email}`,
    `Subject: ${email.subject}`,
    "",
    question,
    ...(files.length > 0 ? ["", `(attachments not kept: ${files.join(", ")})`] : []),
  ].join("\n");
  await (await conversationStub(env, workspaceId, id)).escalate("no_match", note.slice(0, MAX_NOTE_CHARS));
}

/** Markdown links to the email's files once stored, and the names of those that could not be. */
async function keepAttachments(env: Env, workspaceId: string, conversationId: string, origin: string, files: File[]) {
  const links: string[] = [];
  const skipped: string[] = [];
  for (const file of files) {
    try {
      const view = await storeAttachment(
        (await workspacePlace(env, workspaceId)).files,
        { workspaceId, conversationId },
        { name: file.name || "attachment", bytes: new Uint8Array(await file.arrayBuffer()) },
      );
      links.push(`[${view.filename}](${origin}/api/v1/conversations/${conversationId}/attachments/${view.id})`);
    } catch (err) {
      // Only images and PDFs are kept; other files are named in the message so a person can ask.
      if (!(err instanceof ApiError)) throw err;
      skipped.push(file.name || "attachment");
    }
  }
  return { links, skipped };
}

/** Records an inbound email and queues its answer; a repeated Message-ID is a no-op. */
export async function acceptInboundEmail(
  env: Env,
  workspaceId: string,
  settings: EmailSettings,
  email: InboundEmail,
  origin: string,
): Promise<EmailOutcome> {
  const assistantId = settings.config.assistant_id;
  if (!assistantId) return "no_assistant";
  if (isAutomated(email)) return "ignored_automated";
  const ourAddress = (settings.config.from_address || settings.config.inbound_address || email.envelope.to[0] || email.to[0] || "").toLowerCase();
  if (email.from.email === ourAddress) return "ignored_own";

  const body = email.text.trim() ? email.text : htmlToText(email.html);
  const question = (extractReply(body) || body.trim()).slice(0, MAX_MESSAGE_CHARS);
  if (!question && email.attachments.length === 0) return "empty";

  const thread = threadOf(email.from.email, {
    messageId: email.headers.get("message-id") ?? null,
    inReplyTo: email.headers.get("in-reply-to") ?? null,
    references: email.headers.get("references") ?? null,
  });
  const eventId = thread.messageId ?? `<${await sha256Hex(`${email.from.email}\n${email.subject}\n${body}`)}@inbound>`;
  const claimId = `${workspaceId}:${eventId}`;
  if (!(await claimEvent(env.DB, EMAIL_EVENT_SOURCE, claimId))) return "duplicate";

  try {
    const reply: ReplyTarget = {
      channel: "email",
      to: email.from.email,
      to_name: email.from.name,
      from: ourAddress,
      subject: replySubject(email.subject),
      in_reply_to: thread.messageId,
      references: thread.references,
    };
    const verdict = judgeSender(email.from.email, email.envelope.from, email.auth);
    if (!verdict.verified && settings.config.require_sender_auth !== false) {
      await holdUnverified(env, workspaceId, assistantId, email, eventId, question, verdict, reply);
      return "held_unverified";
    }
    const visitorId = `email:${email.from.email}`;
    let conversationId: string | null = null;
    if (thread.conversationHint) {
      // A reply to one of our answers: the conversation it names, if it is this sender's.
      const conv = await (await conversationStub(env, workspaceId, thread.conversationHint)).describe();
      if (conv && conv.workspace_id === workspaceId && conv.visitor_id === visitorId) conversationId = conv.id;
    }
    if (!conversationId) {
      const found = await findOrStartConversation(env, {
        workspace_id: workspaceId,
        assistant_id: assistantId,
        channel: "email",
        external_ref: thread.externalRef,
        visitor_id: visitorId,
        metadata: { email_subject: email.subject.slice(0, 200), email_verified: verdict.verified, ...replyTargetMetadata(reply) },
      });
      conversationId = found.id;
    }
    const { links, skipped } = await keepAttachments(env, workspaceId, conversationId, origin, email.attachments);
    const notes = skipped.length > 0 ? [`(attached, not kept: ${skipped.join(", ")})`] : [];
    const job: InboundMessageJob = {
      type: "inbound.message",
      workspace_id: workspaceId,
      conversation_id: conversationId,
      channel: "email",
      event_id: eventId,
      text: question,
      attachment_links: [...links, ...notes],
      origin,
      reply,
    };
    await env.OUTBOUND_QUEUE.send(withTraceparent(job), { contentType: "json" });
    return "queued";
  } catch (err) {
    await releaseEvent(env.DB, EMAIL_EVENT_SOURCE, claimId);
    throw err;
  }
}
