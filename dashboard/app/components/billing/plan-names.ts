/** What the billing page calls each plan. */
import type { Billing } from "../../../../schema/api";

/** A plan of the API. */
export type Plan = Billing["plan"];

/** The plans' display names. */
export const PLAN_NAMES: Record<Plan, string> = { starter: "Starter", pro: "Pro", enterprise: "Enterprise" };

/** Subscription states in which Stripe still expects money (the Billing Portal is the way to fix them). */
export const HELD_BACK = new Set(["past_due", "unpaid", "incomplete", "paused"]);
