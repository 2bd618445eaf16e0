/**
 * Limits on visitor messages arriving over a conversation's WebSocket. The HTTP middleware never
 * sees these frames (the socket is one long request), and each one asks the model for an answer,
 * so the conversation object checks them itself: per conversation, per visitor (the same subject
 * the HTTP middleware counts, so a publishable key's visitor is its key and client address, not
 * an id the caller picked), per workspace, and the workspace's model-token budget, all in one
 * call to the workspace's `RateLimiterDO`.
 */
import type { Plan } from "../billing/plans";
import { billingOn } from "../billing/workspace-plan";
import { createLogger } from "../lib/logger";
import { burstPerMinute, burstWindow, type RateLimitVars } from "./call-windows";
import { limitOf } from "./limit-vars";
import { BUDGET_EXHAUSTED_MESSAGE, MODEL_BUDGET_WINDOW, modelBudgetCheck, type ModelBudgetVars } from "./model-budget";
import type { RateLimitDecision, SubjectWindows } from "./rate-limiter-do";
import { checksByPlan, workspaceLimiter } from "./workspace-limiter";

/**
 * Visitor messages per sliding minute in one conversation, whatever the plan (unless
 * `RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE` says otherwise): a person sends
 * one every few seconds at most, and each costs a model call; a script sends hundreds.
 */
export const CONVERSATION_MESSAGES_PER_MINUTE = 10;

/**
 * Visitor messages per sliding minute across all of a workspace's sockets, by plan: about one
 * a second for a starter site, ten for pro, fifty for enterprise, far above their conversation
 * quotas' pace, and a ceiling on what many stolen visitor identities can spend together.
 */
export const WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN: Readonly<Record<Plan, number>> = {
  starter: 60,
  pro: 600,
  enterprise: 3_000,
};

/**
 * Variables overriding the socket limits (self-hosting, load tests): a positive integer, or `off`.
 * - `RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE`: per conversation, instead of the default.
 * - `RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE`: per workspace, for every plan alike.
 */
export type SocketLimitVars = Partial<Record<"RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE" | "RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE", string>>;

/** Who a socket message is counted for. */
export interface SocketMessageSubjects {
  conversationId: string;
  /** The visitor's rate-limit subject (`subjectOf`), fixed by the Worker when the socket opened. */
  visitorSubject: string;
}

/** Every check a visitor's socket message goes through, as one batched limiter call. Pure. */
export function socketMessageChecks(
  who: SocketMessageSubjects,
  plan: Plan | null,
  vars: RateLimitVars & SocketLimitVars & ModelBudgetVars,
): SubjectWindows[] {
  const checks: SubjectWindows[] = [];
  const perConversation = limitOf(vars.RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE, CONVERSATION_MESSAGES_PER_MINUTE);
  if (perConversation !== null) {
    checks.push({ subject: `conversation:${who.conversationId}`, windows: [{ ...burstWindow(perConversation), name: "conversation" }] });
  }
  const perWorkspace = limitOf(vars.RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE, WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN[plan ?? "starter"]);
  if (perWorkspace !== null) checks.push({ subject: "workspace", windows: [{ ...burstWindow(perWorkspace), name: "workspace" }] });
  const visitorBurst = burstPerMinute("visitor", vars);
  if (visitorBurst !== null) checks.push({ subject: who.visitorSubject, windows: [{ ...burstWindow(visitorBurst), name: "visitor" }] });
  const budget = modelBudgetCheck(plan, vars);
  if (budget) checks.push(budget);
  return checks;
}

/** What the Worker and the conversation object read to admit a socket message. */
export type SocketLimitsEnv = Pick<Env, "DB" | "RATE_LIMITER" | "STRIPE_SECRET_KEY"> & RateLimitVars & SocketLimitVars & ModelBudgetVars;

const logger = createLogger({ component: "rate-limit.socket" });

/**
 * Counts one visitor message of a socket against its limits, those of the workspace's plan as
 * its limiter object knows it: the decision, or null when the limiter cannot be reached (the
 * message is let through, as the HTTP middleware fails open).
 */
export async function admitSocketMessage(env: SocketLimitsEnv, workspaceId: string, who: SocketMessageSubjects): Promise<RateLimitDecision | null> {
  try {
    const limiter = workspaceLimiter(env, workspaceId);
    // Without billing every workspace is metered as enterprise; with it, the limiter object
    // picks the checks of the plan it keeps a copy of: no D1 read per message.
    if (!billingOn(env)) return await limiter.hitMany(socketMessageChecks(who, "enterprise", env));
    const { decision } = await limiter.hitManyForPlan(workspaceId, checksByPlan((plan) => socketMessageChecks(who, plan, env)));
    return decision;
  } catch (err) {
    logger.warn("socket limiter unavailable; message not limited", { workspace_id: workspaceId, error: err });
    return null;
  }
}

/** The `error` frame's fields for a refused socket message. */
export function socketRefusal(decision: RateLimitDecision): { code: "rate_limited"; message: string; retry_after: number; window: string } {
  return {
    code: "rate_limited",
    message: decision.window === MODEL_BUDGET_WINDOW ? BUDGET_EXHAUSTED_MESSAGE : "too many messages; wait a moment before sending another",
    retry_after: decision.retryAfterSeconds,
    window: decision.window,
  };
}
