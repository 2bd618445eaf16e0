/**
 * Whether a conversation may open another escalation. Each one creates a ticket, a Slack post
 * and an email for the team, and a visitor can resolve their own conversation, so without a
 * bound a resolve → escalate loop would file tickets without end.
 */
import type { EscalationView } from "../../../schema/protocol";
import { DAY_MS } from "../lib/time";

/**
 * Escalations one conversation may open per rolling window: a real conversation needs a person
 * once, maybe again after a resolution that did not hold; more than this is a loop.
 */
export const MAX_ESCALATIONS_PER_WINDOW = 3;
/** The rolling window of that bound, in milliseconds: a day. */
export const ESCALATION_WINDOW_MS = DAY_MS;

/** What asking for an escalation got: the open one, or none and how long until another may be opened. */
export type EscalationOutcome = { escalation: EscalationView } | { escalation: null; retry_after_seconds: number };

/** The decision: go ahead, or wait this many seconds. */
export type EscalationAllowance = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Decides from the creation times (ISO-8601) of the conversation's escalations in the window. */
export function escalationAllowance(createdAt: readonly string[], nowMs: number): EscalationAllowance {
  const windowStart = nowMs - ESCALATION_WINDOW_MS;
  const recent = createdAt
    .map((t) => Date.parse(t))
    .filter((t) => Number.isFinite(t) && t > windowStart)
    .sort((a, b) => a - b);
  if (recent.length < MAX_ESCALATIONS_PER_WINDOW) return { allowed: true };
  // Another is allowed once enough of the oldest ones leave the window.
  const freesAt = recent[recent.length - MAX_ESCALATIONS_PER_WINDOW]! + ESCALATION_WINDOW_MS;
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((freesAt - nowMs) / 1000)) };
}

/** The earliest creation time (ISO-8601) that still counts against the bound at `nowMs`. */
export function escalationWindowStart(nowMs: number): string {
  return new Date(nowMs - ESCALATION_WINDOW_MS).toISOString();
}
