/**
 * Ticket updates from Zendesk (a webhook called by a trigger on ticket updates): a solved
 * ticket resolves its conversation, the customer's satisfaction rating becomes the
 * conversation's, and agents' public comments go back to the customer's channel.
 *
 * The trigger's JSON body (Zendesk placeholders; see README "Channels"):
 *   {"ticket_id": "{{ticket.id}}", "external_id": "{{ticket.external_id}}", "status": "{{ticket.status}}",
 *    "updated_by_id": "{{current_user.id}}", "updated_by": "{{current_user.name}}",
 *    "satisfaction_rating": "{{satisfaction.current_rating}}", "satisfaction_comment": "{{satisfaction.current_comment}}",
 *    "comment": {"id": "{{ticket.latest_comment.id}}", "body": "{{ticket.latest_comment.value}}",
 *                "public": "{{ticket.latest_comment.is_public}}", "author_id": "{{ticket.latest_comment.author.id}}",
 *                "author_role": "{{ticket.latest_comment.author.role}}"}}
 */
import { z } from "zod";
import { conversationStub } from "../../conversation/service";
import type { ZendeskSettings } from "../channel-settings";
import { findEscalationByTicket, recordEscalationResolver } from "../escalation-records";
import type { AgentReplyJob } from "../jobs";
import { claimEvent } from "../once";
import { withTraceparent } from "../../lib/trace-context";

const idLike = z.union([z.string().max(64), z.number().int()]).transform(String);
const text = (max: number) => z.string().max(max).optional().nullable();

/** The body of the webhook, as the trigger's template renders it (every placeholder is a string). */
export const ZendeskTicketUpdate = z.looseObject({
  ticket_id: idLike,
  external_id: text(100),
  status: text(40),
  updated_by_id: idLike.optional().nullable(),
  updated_by: text(200),
  satisfaction_rating: z.union([z.string().max(100), z.number()]).optional().nullable(),
  satisfaction_comment: text(2_000),
  comment: z
    .looseObject({
      id: idLike.optional().nullable(),
      body: text(20_000),
      public: z.union([z.boolean(), z.string().max(10)]).optional().nullable(),
      author_id: idLike.optional().nullable(),
      author_role: text(40),
    })
    .optional()
    .nullable(),
});
export type ZendeskTicketUpdate = z.infer<typeof ZendeskTicketUpdate>;

/** What a ticket update did. */
export interface ZendeskUpdateOutcome {
  conversation_id: string | null;
  resolved: boolean;
  rated: number | null;
  relayed_comment: boolean;
}

/** Zendesk's ratings as the platform's 0..5: good/bad (classic CSAT) or a number (1–5 scales). */
export function satisfactionScore(rating: string | number | null | undefined): number | null {
  if (rating === null || rating === undefined) return null;
  if (typeof rating === "number" || /^\d+(\.\d+)?$/.test(rating.trim())) {
    const n = Math.round(Number(rating));
    return n >= 0 && n <= 5 ? n : null;
  }
  const r = rating.trim().toLowerCase();
  if (r.startsWith("good")) return 5;
  if (r.startsWith("bad")) return 1;
  return null; // offered, unoffered, empty
}

function isTrue(v: boolean | string | null | undefined): boolean {
  return v === true || (typeof v === "string" && v.trim().toLowerCase() === "true");
}

/** The conversation a ticket belongs to in this workspace: by its recorded ticket, else by `external_id`. */
async function conversationOf(env: Env, workspaceId: string, update: ZendeskTicketUpdate): Promise<string | null> {
  const escalation = await findEscalationByTicket(env, workspaceId, "zendesk", update.ticket_id);
  if (escalation) return escalation.conversation_id;
  const candidate = update.external_id?.trim();
  if (!candidate || !/^conv_[0-9A-Za-z]{8,64}$/.test(candidate)) return null;
  const conv = await (await conversationStub(env, workspaceId, candidate)).describe();
  return conv && conv.workspace_id === workspaceId ? conv.id : null;
}

/** Applies a ticket update to its conversation. */
export async function applyZendeskUpdate(
  env: Env,
  workspaceId: string,
  settings: ZendeskSettings,
  update: ZendeskTicketUpdate,
): Promise<ZendeskUpdateOutcome> {
  const outcome: ZendeskUpdateOutcome = { conversation_id: null, resolved: false, rated: null, relayed_comment: false };
  const conversationId = await conversationOf(env, workspaceId, update);
  if (!conversationId) return outcome;
  outcome.conversation_id = conversationId;
  const stub = await conversationStub(env, workspaceId, conversationId);

  const comment = update.comment;
  const body = comment?.body?.trim();
  const byAgent = comment?.author_role && !/^end[-_ ]?user$/i.test(comment.author_role);
  if (settings.config.relay_agent_comments !== false && comment?.id && body && byAgent && isTrue(comment.public)) {
    if (await claimEvent(env.DB, "zendesk-comment", `${workspaceId}:${update.ticket_id}:${comment.id}`)) {
      const message = await stub.agentMessage(body.slice(0, 4_000), `zendesk:${comment.author_id ?? "agent"}`);
      const job: AgentReplyJob = {
        type: "agent.reply",
        workspace_id: workspaceId,
        conversation_id: conversationId,
        message_id: message.id,
        content: message.content,
      };
      await env.OUTBOUND_QUEUE.send(withTraceparent(job), { contentType: "json" });
      outcome.relayed_comment = true;
    }
  }

  const score = satisfactionScore(update.satisfaction_rating);
  if (score !== null) {
    await stub.rate(score, update.satisfaction_comment?.trim() || null);
    outcome.rated = score;
  }

  const status = update.status?.trim().toLowerCase();
  if (status === "solved" || status === "closed") {
    const before = await stub.describe();
    if (before && before.status !== "resolved") {
      await stub.resolve();
      const who = update.updated_by_id ? `zendesk:${update.updated_by_id}` : "zendesk";
      await recordEscalationResolver(env, workspaceId, conversationId, update.updated_by ? `${who} (${update.updated_by})` : who);
      outcome.resolved = true;
    }
  }
  return outcome;
}
