/**
 * Plan limits at the places they apply: starting a conversation, adding an assistant, adding a
 * document. Which status a refusal carries, and why, is explained beside `PLAN_LIMITS` (`plans.ts`).
 *
 * They apply where billing is switched on (`STRIPE_SECRET_KEY` set). A deployment without
 * billing offers no way to upgrade, so capping it would only be a wall: self-hosted installs
 * run unlimited, apart from the rate limiter's per-key call quotas.
 */
import { ApiError } from "../lib/errors";
import { createDb, type Db } from "../storage/db";
import { PLAN_LIMITS, PLAN_ORDER, type Plan, type PlanLimits } from "./plans";
import { stripeConfigured } from "./stripe-client";
import { effectivePlan, getSubscription, isHeldBack, type SubscriptionState } from "./subscription-state";
import { liveAssistants, liveDocuments, monthCounters, releaseConversation, reserveConversation, usagePeriod } from "./usage";

/** What the limit checks read. */
export type LimitsEnv = Pick<Env, "DB" | "STRIPE_SECRET_KEY">;

/** A limit that can be reached. */
export type LimitName = Exclude<keyof PlanLimits, "api_calls_per_month">;

const WHAT: Record<LimitName, string> = {
  conversations_per_month: "conversations this month",
  assistants: "assistants",
  documents: "knowledge-base documents",
};

/** What a visitor in the widget reads: no plan names or counts, just what to do. */
export const VISITOR_LIMIT_MESSAGE =
  "Sorry, we can't start a new chat right now. Please try again later, or reach us another way.";

function nextPlan(plan: Plan): Plan | null {
  return PLAN_ORDER[PLAN_ORDER.indexOf(plan) + 1] ?? null;
}

/** The refusal for reaching `name` with `used` of it under `state`. */
export function limitReached(
  name: LimitName,
  state: Pick<SubscriptionState, "plan" | "status">,
  used: number,
  opts: { visitor?: boolean; now?: Date } = {},
): ApiError {
  const plan = effectivePlan(state);
  const max = PLAN_LIMITS[plan][name];
  const paidMax = PLAN_LIMITS[state.plan][name];
  const monthly = name === "conversations_per_month";
  const resetsAt = monthly ? usagePeriod(opts.now).to : null;
  const retryAfterS = resetsAt ? Math.max(1, Math.ceil((Date.parse(resetsAt) - (opts.now ?? new Date()).getTime()) / 1000)) : null;

  if (opts.visitor) {
    return monthly
      ? new ApiError("rate_limited", VISITOR_LIMIT_MESSAGE, { reason: "unavailable" }, { "Retry-After": String(retryAfterS) })
      : new ApiError("payment_required", VISITOR_LIMIT_MESSAGE, { reason: "unavailable" });
  }

  const details = { limit: name, plan, subscribed_plan: state.plan, subscription_status: state.status, max, used };
  // A paid plan held back by its subscription: paying again is the way back, whatever the limit.
  if (isHeldBack(state) && (paidMax === null || used < paidMax)) {
    const why = state.status === "canceled" ? "was canceled" : `is ${state.status.replace(/_/g, " ")}`;
    return new ApiError(
      "payment_required",
      `the ${state.plan} subscription ${why}, so the ${plan} plan's limit of ${max} ${WHAT[name]} applies; ` +
        "update the payment method in the billing portal (POST /api/v1/billing/portal) or subscribe again",
      { ...details, reason: "subscription_not_paid" },
    );
  }
  const upgrade = nextPlan(plan);
  const upgradeHint = upgrade ? `; upgrade to ${upgrade} with POST /api/v1/billing/checkout` : "";
  if (monthly) {
    return new ApiError(
      "rate_limited",
      `the ${plan} plan's limit of ${max} ${WHAT[name]} is reached; it resets at ${resetsAt}${upgradeHint}`,
      { ...details, reason: "plan_limit", resets_at: resetsAt, upgrade_to: upgrade, retry_after_seconds: retryAfterS },
      { "Retry-After": String(retryAfterS) },
    );
  }
  return new ApiError(
    "payment_required",
    `the ${plan} plan allows ${max} ${WHAT[name]}; delete one${upgradeHint || " first"}`,
    { ...details, reason: "plan_limit", upgrade_to: upgrade },
  );
}

/**
 * Counts a new conversation against this month's quota, or throws the refusal. Returns a
 * function that gives the count back if the conversation then fails to start.
 */
export async function reserveConversationSlot(
  env: LimitsEnv,
  workspaceId: string,
  opts: { visitor?: boolean } = {},
): Promise<() => Promise<void>> {
  const db = createDb(env.DB);
  // Usage is metered on every deployment; the plan's cap applies only where billing is on.
  if (!stripeConfigured(env)) {
    await reserveConversation(db, workspaceId, null);
    return () => releaseConversation(db, workspaceId);
  }
  const state = await getSubscription(db, workspaceId);
  const limit = PLAN_LIMITS[effectivePlan(state)].conversations_per_month;
  if (!(await reserveConversation(db, workspaceId, limit))) {
    const { conversations } = await monthCounters(db, workspaceId);
    throw limitReached("conversations_per_month", state, conversations, opts);
  }
  return () => releaseConversation(db, workspaceId);
}

async function assertBelow(env: LimitsEnv, name: "assistants" | "documents", workspaceId: string, countLive: (db: Db) => Promise<number>) {
  if (!stripeConfigured(env)) return;
  const db = createDb(env.DB);
  const state = await getSubscription(db, workspaceId);
  const max = PLAN_LIMITS[effectivePlan(state)][name];
  if (max === null) return;
  const used = await countLive(db);
  if (used >= max) throw limitReached(name, state, used);
}

/** Throws the refusal when the workspace already has as many assistants as its plan allows. */
export function assertCanAddAssistant(env: LimitsEnv, workspaceId: string): Promise<void> {
  return assertBelow(env, "assistants", workspaceId, (db) => liveAssistants(db, workspaceId));
}

/** Throws the refusal when the workspace already has as many documents as its plan allows. */
export function assertCanAddDocument(env: LimitsEnv, workspaceId: string): Promise<void> {
  return assertBelow(env, "documents", workspaceId, (db) => liveDocuments(db, workspaceId));
}

/** True when the workspace may not add another document (for crawls, which stop rather than fail). */
export async function documentLimitReached(env: LimitsEnv, workspaceId: string): Promise<boolean> {
  try {
    await assertCanAddDocument(env, workspaceId);
    return false;
  } catch (err) {
    if (err instanceof ApiError && err.code === "payment_required") return true;
    throw err;
  }
}
