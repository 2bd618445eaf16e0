import type { Billing } from "../../../schema/api";
import type { Db } from "../storage/db";
import { PLAN_LIMITS, PLAN_ORDER, type Plan } from "./plans";
import { stripeConfigured, type StripeEnv } from "./stripe-client";
import { getBillingState } from "./subscription-state";
import { monthUsage, type ModelUsageReader } from "./usage";

function purchasable(env: StripeEnv, plan: Plan): boolean {
  if (!stripeConfigured(env)) return false;
  if (plan === "pro") return Boolean(env.STRIPE_PRICE_PRO?.trim());
  if (plan === "enterprise") return Boolean(env.STRIPE_PRICE_ENTERPRISE?.trim());
  return false;
}

/** The billing page: plan in force and paid for, this month's usage, limits and the way up. */
export async function billingOverview(env: Env, db: Db, workspaceId: string, modelUsage: ModelUsageReader): Promise<Billing> {
  const [state, usage] = await Promise.all([getBillingState(db, workspaceId), monthUsage(db, workspaceId, modelUsage)]);
  const plan = state.effective_plan;
  const above = PLAN_ORDER.slice(PLAN_ORDER.indexOf(plan) + 1);
  return {
    plan,
    subscribed_plan: state.plan,
    subscription_status: state.status,
    current_period_end: state.current_period_end,
    cancel_at_period_end: state.cancel_at_period_end,
    billing_enabled: stripeConfigured(env),
    limits: PLAN_LIMITS[plan],
    usage: {
      period: { month: usage.period.period, from: usage.period.from, to: usage.period.to },
      conversations: usage.conversations,
      api_calls: usage.api_calls,
      tokens: usage.tokens,
      estimated_cost_usd: usage.estimated_cost_usd,
      assistants: usage.assistants,
      documents: usage.documents,
    },
    plans: PLAN_ORDER.map((p) => ({ plan: p, limits: PLAN_LIMITS[p], current: p === plan, purchasable: purchasable(env, p) })),
    upgrade_to: above.filter((p) => purchasable(env, p)),
  };
}
