/**
 * The plans a workspace can be on and everything each one allows, in one place: the rate
 * limiter (`limits/`), the billing caps (`limits.ts`) and the billing overview all read them here.
 */
import type { Workspace } from "../../../schema/api";

/** A workspace's billing plan, as stored in `workspaces.plan`. */
export type Plan = Workspace["plan"];

/** Plans in ascending order, for upgrade paths. */
export const PLAN_ORDER: readonly Plan[] = ["starter", "pro", "enterprise"];

/**
 * Calls per sliding 30 days per metered subject, by plan; null means unlimited.
 * The quota meters API traffic (secret keys and widget visitors), not dashboard users: the
 * dashboard is the product's own UI, and an admin clicking around must not lock a workspace
 * out of it. Users still get the per-minute burst limit (`limits/call-windows.ts`).
 */
export const MONTHLY_CALLS_BY_PLAN: Readonly<Record<Plan, number | null>> = {
  starter: 5_000,
  pro: 50_000,
  enterprise: null,
};

/** What a plan allows; null means unlimited. */
export interface PlanLimits {
  /** API calls per 30 days per secret key or widget visitor (the rate limiter's monthly window). */
  api_calls_per_month: number | null;
  /** Conversations started per calendar month (UTC), all channels together. */
  conversations_per_month: number | null;
  /** Live assistants at a time. */
  assistants: number | null;
  /** Live knowledge-base documents at a time, across all assistants. */
  documents: number | null;
}

/**
 * Every limit of every plan, in one table. API calls are the rate limiter's monthly quota above,
 * so the two can never disagree. Starter is what a free workspace gets (one assistant, a small
 * help centre); pro covers a typical support team; enterprise has no caps.
 *
 * How a limit answers when reached (see `limits.ts`):
 * - monthly quotas (API calls, conversations): 429 `rate_limited` with `Retry-After` until the
 *   quota resets, because waiting really does help;
 * - caps (assistants, documents): 402 `payment_required`, because waiting never helps; only a
 *   bigger plan (or deleting something) does, and 429 would promise a retry that cannot work;
 * - anything a paid plan allows while its subscription is past due or canceled: 402
 *   `payment_required`, naming the subscription's state, since paying is the way back.
 */
export const PLAN_LIMITS: Readonly<Record<Plan, PlanLimits>> = {
  starter: { api_calls_per_month: MONTHLY_CALLS_BY_PLAN.starter, conversations_per_month: 500, assistants: 1, documents: 50 },
  pro: { api_calls_per_month: MONTHLY_CALLS_BY_PLAN.pro, conversations_per_month: 5_000, assistants: 5, documents: 1_000 },
  enterprise: { api_calls_per_month: MONTHLY_CALLS_BY_PLAN.enterprise, conversations_per_month: null, assistants: null, documents: null },
};
