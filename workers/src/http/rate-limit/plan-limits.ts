import { MONTHLY_CALLS_BY_PLAN, type Plan } from "./tiers";

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
 * Every limit of every plan, in one table. API calls come from the rate limiter's tiers so the
 * two can never disagree. Starter is what a free workspace gets (one assistant, a small help
 * centre); pro covers a typical support team; enterprise has no caps.
 *
 * How a limit answers when reached (see `billing/limits.ts`):
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

/** Plans in ascending order, for upgrade paths. */
export const PLAN_ORDER: readonly Plan[] = ["starter", "pro", "enterprise"];
