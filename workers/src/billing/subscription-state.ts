/**
 * A workspace's subscription as this platform keeps it: what Stripe last said (plan paid for,
 * status, period) and the plan whose limits apply now, written together so they never disagree.
 */
import { and, eq, sql } from "drizzle-orm";
import { nowIso } from "../lib/time";
import { schema, type Db } from "../storage/db";
import type { Plan } from "./plans";

const { billing_subscriptions, workspaces, processed_events } = schema;

/** Stripe statuses under which the plan paid for is the plan in force. */
const PAID_UP_STATUSES = new Set(["active", "trialing"]);
/** Statuses of a subscription that still exists and expects money (may come back to active). */
const LIVE_STATUSES = new Set(["active", "trialing", "past_due", "unpaid", "incomplete", "paused"]);

/** The subscription fields kept per workspace. */
export interface SubscriptionState {
  stripe_customer_id: string | null;
  stripe_subscription_id: string | null;
  stripe_subscription_item_id: string | null;
  /** The plan paid for (starter when none). */
  plan: Plan;
  /** Stripe's subscription status, or `none`. */
  status: string;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
  /** Stripe `created` (epoch seconds) of the event this state came from. */
  state_at: number;
}

/** The subscription plus the plan in force, as the billing page shows it. */
export interface BillingState extends SubscriptionState {
  /** The plan whose limits apply now. */
  effective_plan: Plan;
}

const EMPTY: SubscriptionState = {
  stripe_customer_id: null,
  stripe_subscription_id: null,
  stripe_subscription_item_id: null,
  plan: "starter",
  status: "none",
  current_period_end: null,
  cancel_at_period_end: false,
  state_at: 0,
};

/** The plan in force for a subscription: the one paid for while paid up, starter otherwise. */
export function effectivePlan(state: Pick<SubscriptionState, "plan" | "status">): Plan {
  return PAID_UP_STATUSES.has(state.status) ? state.plan : "starter";
}

/** True when the subscription exists and is not ended (Stripe may still collect). */
export function isLive(status: string): boolean {
  return LIVE_STATUSES.has(status);
}

/** True when a paid plan is held back because of its subscription (overdue, unpaid, canceled…). */
export function isHeldBack(state: Pick<SubscriptionState, "plan" | "status">): boolean {
  return state.plan !== "starter" && !PAID_UP_STATUSES.has(state.status);
}

/** The stored subscription of a workspace (the empty state when it never had one). */
export async function getSubscription(db: Db, workspaceId: string): Promise<SubscriptionState> {
  const row = await db.select().from(billing_subscriptions).where(eq(billing_subscriptions.workspace_id, workspaceId)).get();
  if (!row) {
    const ws = await db.select({ customer: workspaces.stripe_customer_id }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
    return { ...EMPTY, stripe_customer_id: ws?.customer ?? null };
  }
  return {
    stripe_customer_id: row.stripe_customer_id,
    stripe_subscription_id: row.stripe_subscription_id,
    stripe_subscription_item_id: row.stripe_subscription_item_id,
    plan: row.plan,
    status: row.status,
    current_period_end: row.current_period_end,
    cancel_at_period_end: row.cancel_at_period_end,
    state_at: row.state_at,
  };
}

/** The subscription and the plan in force. */
export async function getBillingState(db: Db, workspaceId: string): Promise<BillingState> {
  const state = await getSubscription(db, workspaceId);
  return { ...state, effective_plan: effectivePlan(state) };
}

/** The workspace a Stripe customer belongs to, or null. */
export async function workspaceOfCustomer(db: Db, customerId: string): Promise<string | null> {
  const row =
    (await db.select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.stripe_customer_id, customerId)).get()) ??
    (await db
      .select({ id: billing_subscriptions.workspace_id })
      .from(billing_subscriptions)
      .where(eq(billing_subscriptions.stripe_customer_id, customerId))
      .get());
  return row?.id ?? null;
}

/** True when the workspace exists and is not closed. */
export async function workspaceIsOpen(db: Db, workspaceId: string): Promise<boolean> {
  const row = await db.select({ deleted: workspaces.deleted_at }).from(workspaces).where(eq(workspaces.id, workspaceId)).get();
  return row !== undefined && row.deleted === null;
}

/** Links a Stripe customer to the workspace (before any subscription exists). */
export async function rememberCustomer(db: Db, workspaceId: string, customerId: string): Promise<void> {
  await db.batch([
    db.update(workspaces).set({ stripe_customer_id: customerId, updated_at: nowIso() }).where(eq(workspaces.id, workspaceId)),
    db
      .insert(billing_subscriptions)
      .values({ workspace_id: workspaceId, stripe_customer_id: customerId })
      .onConflictDoUpdate({ target: billing_subscriptions.workspace_id, set: { stripe_customer_id: customerId, updated_at: nowIso() } }),
  ]);
}

/** True when this webhook event was already handled. */
export async function alreadyProcessed(db: Db, eventId: string): Promise<boolean> {
  const row = await db
    .select({ id: processed_events.event_id })
    .from(processed_events)
    .where(and(eq(processed_events.source, "stripe"), eq(processed_events.event_id, eventId)))
    .get();
  return row !== undefined;
}

/** What writing an event's outcome did. */
export type WriteOutcome = "applied" | "stale" | "duplicate";

function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/**
 * Records `eventId` as processed and, when given, writes `next` as the workspace's subscription
 * unless a newer state (a later `state_at`) is already stored, all in one transaction: an event
 * either counts fully or not at all, and two deliveries of one event cannot both apply.
 */
export async function writeEventOutcome(
  db: Db,
  eventId: string,
  change: { workspaceId: string; next: SubscriptionState } | null,
): Promise<WriteOutcome> {
  const mark = db.insert(processed_events).values({ source: "stripe", event_id: eventId });
  try {
    if (!change) {
      await mark.run();
      return "applied";
    }
    const { workspaceId, next } = change;
    const now = nowIso();
    const fields = { ...next, updated_at: now };
    await db.batch([
      mark,
      db
        .insert(billing_subscriptions)
        .values({ workspace_id: workspaceId, ...fields })
        .onConflictDoUpdate({
          target: billing_subscriptions.workspace_id,
          set: fields,
          setWhere: sql`${billing_subscriptions.state_at} <= ${next.state_at}`,
        }),
      // The plan in force follows the stored state, whichever event wrote it.
      db
        .update(workspaces)
        .set({ plan: effectivePlan(next), updated_at: now, ...(next.stripe_customer_id ? { stripe_customer_id: next.stripe_customer_id } : {}) })
        .where(
          and(
            eq(workspaces.id, workspaceId),
            sql`(select ${billing_subscriptions.state_at} from ${billing_subscriptions} where ${billing_subscriptions.workspace_id} = ${workspaceId}) = ${next.state_at}`,
          ),
        ),
    ]);
    const stored = await getSubscription(db, workspaceId);
    return stored.state_at === next.state_at ? "applied" : "stale";
  } catch (err) {
    if (isUniqueViolation(err)) return "duplicate";
    throw err;
  }
}
