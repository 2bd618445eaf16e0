/**
 * Recovery of lost outbound work. Outbound jobs have no record of their own: a job lives only
 * in the outbound queue, and one the queue loses (a `wrangler dev` reload drops messages in
 * flight) or that was never queued (the send failed) is gone. Only one kind can be rebuilt
 * from what D1 keeps, and the scheduled sweep does that:
 *
 * - Escalation notices (`escalation.created`): the escalation row is the record, and delivery
 *   leaves marks (a ticket on the row, a `processed_events` key per Slack or email notice or
 *   HubSpot note, `last_error` once an attempt failed and the queue took over). An open
 *   escalation with none of them, in a workspace with a notification integration (Zendesk,
 *   Slack, email or HubSpot), older than the timeout, is sent to the outbound queue again, once
 *   (a `processed_events` key records the re-send). Delivery does each target once, so a notice
 *   that was only slow is not sent twice. (A HubSpot-only workspace whose visitor left no email
 *   gets no note, so no mark either: such an escalation is sent again once, to no effect.)
 *
 * Not swept, because nothing to rebuild them from is kept:
 * - Inbound channel messages (`inbound.message`): the visitor's text exists only in the job.
 * - Zendesk agent replies (`agent.reply`): the reply is stored in its conversation, but not
 *   whether the relay went out (the senders record each part they send, per channel).
 * - Analytics events: the queued event is the record itself.
 */
import { createLogger } from "../lib/logger";
import { stuckAfterMs } from "../lib/stuck-work";
import { HOUR_MS, MINUTE_MS } from "../lib/time";
import type { EscalationJob } from "./jobs";
import { HUBSPOT_NOTE_SOURCE } from "./hubspot/crm-log";
import { claimEvent, releaseEvent } from "./once";

/**
 * Default age after which an escalation with no delivery mark counts as lost: a job starts
 * within seconds and a failed attempt records `last_error` at once, so half an hour (two cron
 * ticks) leaves ample room for a queue backlog.
 */
export const STUCK_ESCALATION_TIMEOUT_MS = 30 * MINUTE_MS;

/**
 * How long past the timeout an escalation is still recovered; older ones are left alone.
 * Enough for many sweep runs to fail in a row, short enough that a workspace connecting Slack
 * today is not sent the escalations of past days.
 */
export const STUCK_ESCALATION_WINDOW_MS = 6 * HOUR_MS;

/** Notices re-sent per run: one `sendBatch` (up to 100 messages); the rest wait for the next run. */
export const STUCK_ESCALATION_BATCH = 50;

/** `processed_events.source` of escalations the sweep sent again, so each is sent again once. */
export const ESCALATION_SWEEP_SOURCE = "escalation-sweep";

/**
 * `processed_events.source` values escalation delivery leaves (`escalation-delivery.ts`):
 * a notice with one of them went out.
 */
const DELIVERY_SOURCES = ["escalation-slack", "escalation-email"] as const;

/** Integrations that notify the team of an escalation (`escalation-delivery.ts`). */
const NOTIFYING_INTEGRATIONS = ["zendesk", "slack", "email", "hubspot"] as const;

interface LostEscalation {
  id: string;
  workspace_id: string;
  conversation_id: string;
  reason: string;
  assistant_id: string;
  channel: string;
}

/**
 * Sends the notices of open escalations that show no sign of delivery after `timeoutMs` to
 * the outbound queue again, each at most once; returns how many were sent.
 */
export async function sweepStuckEscalations(env: Env, now: Date, timeoutMs = stuckAfterMs(env, STUCK_ESCALATION_TIMEOUT_MS)): Promise<number> {
  const cutoff = new Date(now.getTime() - timeoutMs).toISOString();
  const horizon = new Date(now.getTime() - timeoutMs - STUCK_ESCALATION_WINDOW_MS).toISOString();
  const sources = [...DELIVERY_SOURCES, ESCALATION_SWEEP_SOURCE];
  const { results } = await env.DB.prepare(
    `select e.id, e.workspace_id, e.conversation_id, e.reason, c.assistant_id, c.channel
       from escalations e
       join conversations c on c.id = e.conversation_id
       join workspaces w on w.id = e.workspace_id and w.deleted_at is null
      where e.status = 'open' and e.created_at < ? and e.created_at >= ?
        and e.ticket_id is null and e.ticket_provider is null and e.last_error is null
        and c.deleted_at is null
        and exists (select 1 from integrations i where i.workspace_id = e.workspace_id and i.enabled = 1
                      and i.type in (${NOTIFYING_INTEGRATIONS.map(() => "?").join(", ")}))
        and not exists (select 1 from processed_events p where p.event_id = e.id
                          and p.source in (${sources.map(() => "?").join(", ")}))
        -- the HubSpot note's key, as hubspotNoteKey builds it for "escalated"
        and not exists (select 1 from processed_events p where p.source = ?
                          and p.event_id = e.workspace_id || ':' || e.conversation_id || ':escalated:' || e.id)
      order by e.created_at
      limit ?`,
  )
    .bind(cutoff, horizon, ...NOTIFYING_INTEGRATIONS, ...sources, HUBSPOT_NOTE_SOURCE, STUCK_ESCALATION_BATCH)
    .all<LostEscalation>();

  const jobs: EscalationJob[] = [];
  for (const e of results) {
    // The claim makes this the only re-send, even if two sweeps overlap.
    if (!(await claimEvent(env.DB, ESCALATION_SWEEP_SOURCE, e.id))) continue;
    jobs.push({
      type: "escalation.created",
      workspace_id: e.workspace_id,
      assistant_id: e.assistant_id,
      conversation_id: e.conversation_id,
      escalation_id: e.id,
      reason: e.reason,
      channel: e.channel,
    });
  }
  if (jobs.length === 0) return 0;
  try {
    await env.OUTBOUND_QUEUE.sendBatch(jobs.map((body) => ({ body, contentType: "json" as const })));
  } catch (err) {
    // Not sent: give the claims back so the next run tries again.
    for (const job of jobs) await releaseEvent(env.DB, ESCALATION_SWEEP_SOURCE, job.escalation_id);
    throw err;
  }
  createLogger({ component: "stuck-escalations" }).info("lost escalation notices sent again", {
    requeued: jobs.length,
    escalation_ids: jobs.map((j) => j.escalation_id),
  });
  return jobs.length;
}
