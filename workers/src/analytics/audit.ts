import type { Principal } from "../auth/principal";
import { actorOf } from "../auth/principal";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { createAnalyticsSink } from "./create-sink";

/** What an audited action did, in the caller's words. */
export interface AuditAction {
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
}

/** Request facts stored with an audit entry. */
export interface AuditContext {
  requestId?: string | null;
  ip?: string | null;
}

/**
 * Writes one audit entry before the action's response is sent: an admin action that cannot
 * be recorded fails rather than going unaudited.
 */
export async function recordAudit(env: Env, principal: Principal, what: AuditAction, ctx: AuditContext = {}) {
  const actor = actorOf(principal);
  await createAnalyticsSink(env).writeAudit([
    {
      id: newId("audit"),
      workspace_id: principal.workspaceId,
      actor_type: actor.actor_type,
      actor_id: actor.actor_id,
      action: what.action,
      target_type: what.targetType ?? null,
      target_id: what.targetId ?? null,
      metadata: what.metadata ?? {},
      ip: ctx.ip ?? null,
      request_id: ctx.requestId ?? null,
      created_at: nowIso(),
    },
  ]);
}

/**
 * Records, in the workspace of the account that owns an email, that someone tried to sign up
 * with that email (the sign-up was answered as if it worked, and nothing was created). The
 * actor is the system: whoever tried is anonymous; the request's address and id are kept.
 */
export async function recordSignUpAttempt(env: Env, owner: { id: string; workspace_id: string }, ctx: AuditContext = {}) {
  await createAnalyticsSink(env).writeAudit([
    {
      id: newId("audit"),
      workspace_id: owner.workspace_id,
      actor_type: "system",
      actor_id: "signup",
      action: "user.signup_attempted",
      target_type: "user",
      target_id: owner.id,
      metadata: {},
      ip: ctx.ip ?? null,
      request_id: ctx.requestId ?? null,
      created_at: nowIso(),
    },
  ]);
}
