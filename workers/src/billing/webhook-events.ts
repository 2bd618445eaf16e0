/**
 * Stripe webhook events: signature checks and what each handled event does to a workspace's
 * subscription. Each event id is processed once; an event older than the stored state is
 * recorded but changes nothing, so deliveries out of order cannot undo a newer state.
 */
import Stripe from "stripe";
import { ApiError } from "../lib/errors";
import { createDb, type Db } from "../storage/db";
import type { Plan } from "./plans";
import { planForPrice, stripeCrypto, type StripeEnv } from "./stripe-client";
import {
  alreadyProcessed,
  getSubscription,
  isLive,
  workspaceIsOpen,
  workspaceOfCustomer,
  writeEventOutcome,
  type SubscriptionState,
  type WriteOutcome,
} from "./subscription-state";

/** Oldest signature accepted, in seconds: Stripe's own default, and what it retries within. */
export const WEBHOOK_TOLERANCE_S = 300;

/** What handling an event did. */
export interface EventResult {
  outcome: WriteOutcome | "ignored";
  workspace_id: string | null;
}

/**
 * The event in `payload` if its `Stripe-Signature` is valid (v1 scheme, signed with
 * `STRIPE_WEBHOOK_SECRET`, at most 300 seconds old); 401 otherwise, 400 for a signed body that
 * is not JSON.
 */
export async function verifyStripeEvent(env: StripeEnv, payload: string, signature: string | undefined): Promise<Stripe.Event> {
  const secret = env.STRIPE_WEBHOOK_SECRET?.trim();
  if (!secret) throw new ApiError("unauthorized", "Stripe webhooks are not configured on this deployment");
  if (!signature) throw new ApiError("unauthorized", "missing Stripe-Signature header");
  try {
    return await Stripe.webhooks.constructEventAsync(payload, signature, secret, WEBHOOK_TOLERANCE_S, stripeCrypto);
  } catch (err) {
    if (err instanceof Stripe.errors.StripeSignatureVerificationError) {
      throw new ApiError("unauthorized", "invalid or expired Stripe-Signature");
    }
    if (err instanceof SyntaxError) throw new ApiError("invalid_request", "the event is not valid JSON");
    throw err;
  }
}

const idOf = (v: string | { id: string } | null | undefined): string | null => (typeof v === "string" ? v : (v?.id ?? null));
const isoFromEpoch = (s: number | null | undefined): string | null => (typeof s === "number" ? new Date(s * 1000).toISOString() : null);

function planFromMetadata(metadata: Stripe.Metadata | null | undefined): Plan | null {
  const plan = metadata?.plan;
  return plan === "pro" || plan === "enterprise" ? plan : null;
}

/** The workspace an object belongs to: our id in its metadata, else its customer's workspace. */
async function workspaceFor(db: Db, workspaceId: string | null | undefined, customerId: string | null): Promise<string | null> {
  const candidate = workspaceId ?? (customerId ? await workspaceOfCustomer(db, customerId) : null);
  return candidate && (await workspaceIsOpen(db, candidate)) ? candidate : null;
}

type Change = { workspaceId: string; next: SubscriptionState } | null;

async function fromCheckoutSession(db: Db, session: Stripe.Checkout.Session, createdAt: number): Promise<Change> {
  if (session.mode !== "subscription") return null;
  const customerId = idOf(session.customer);
  const workspaceId = await workspaceFor(db, session.client_reference_id ?? session.metadata?.workspace_id, customerId);
  if (!workspaceId) return null;
  const current = await getSubscription(db, workspaceId);
  const subscriptionId = idOf(session.subscription);
  const sameSubscription = subscriptionId !== null && subscriptionId === current.stripe_subscription_id;
  const plan = planFromMetadata(session.metadata) ?? (sameSubscription ? current.plan : null);
  if (!plan) return null;
  const paid = session.payment_status === "paid" || session.payment_status === "no_payment_required";
  return {
    workspaceId,
    next: {
      ...current,
      stripe_customer_id: customerId ?? current.stripe_customer_id,
      stripe_subscription_id: subscriptionId,
      stripe_subscription_item_id: sameSubscription ? current.stripe_subscription_item_id : null,
      current_period_end: sameSubscription ? current.current_period_end : null,
      plan,
      // The subscription events that follow carry the authoritative status; this one only
      // says the customer finished paying.
      status: sameSubscription && current.status !== "none" ? current.status : paid ? "active" : "incomplete",
      state_at: createdAt,
    },
  };
}

async function fromSubscription(env: StripeEnv, db: Db, sub: Stripe.Subscription, deleted: boolean, createdAt: number): Promise<Change> {
  const customerId = idOf(sub.customer);
  const workspaceId = await workspaceFor(db, sub.metadata?.workspace_id, customerId);
  if (!workspaceId) return null;
  const current = await getSubscription(db, workspaceId);
  const status = deleted ? "canceled" : sub.status;
  // The end of an older subscription (replaced by a newer, live one) changes nothing.
  if (current.stripe_subscription_id && current.stripe_subscription_id !== sub.id && isLive(current.status) && !isLive(status)) {
    return null;
  }
  const item = sub.items.data[0];
  const plan = planForPrice(env, item?.price.id) ?? planFromMetadata(sub.metadata) ?? planFromMetadata(item?.price.metadata);
  if (!plan) return null;
  return {
    workspaceId,
    next: {
      stripe_customer_id: customerId ?? current.stripe_customer_id,
      stripe_subscription_id: sub.id,
      stripe_subscription_item_id: item?.id ?? null,
      plan,
      status,
      current_period_end: isoFromEpoch(item?.current_period_end),
      cancel_at_period_end: sub.cancel_at_period_end,
      state_at: createdAt,
    },
  };
}

async function fromInvoice(db: Db, invoice: Stripe.Invoice, paid: boolean, createdAt: number): Promise<Change> {
  const subscriptionId = idOf(invoice.parent?.subscription_details?.subscription);
  if (!subscriptionId) return null;
  const workspaceId = await workspaceFor(db, invoice.parent?.subscription_details?.metadata?.workspace_id, idOf(invoice.customer));
  if (!workspaceId) return null;
  const current = await getSubscription(db, workspaceId);
  if (current.stripe_subscription_id !== subscriptionId) return null;
  const status = paid
    ? ["past_due", "unpaid", "incomplete"].includes(current.status) ? "active" : current.status
    : ["active", "trialing"].includes(current.status) ? "past_due" : current.status;
  return { workspaceId, next: { ...current, status, state_at: createdAt } };
}

/** Applies one verified event (once per event id) and says what it did. */
export async function handleStripeEvent(env: StripeEnv & Pick<Env, "DB">, event: Stripe.Event): Promise<EventResult> {
  const db = createDb(env.DB);
  if (await alreadyProcessed(db, event.id)) return { outcome: "duplicate", workspace_id: null };
  let change: Change = null;
  switch (event.type) {
    case "checkout.session.completed":
      change = await fromCheckoutSession(db, event.data.object, event.created);
      break;
    case "customer.subscription.created":
    case "customer.subscription.updated":
      change = await fromSubscription(env, db, event.data.object, false, event.created);
      break;
    case "customer.subscription.deleted":
      change = await fromSubscription(env, db, event.data.object, true, event.created);
      break;
    case "invoice.paid":
      change = await fromInvoice(db, event.data.object, true, event.created);
      break;
    case "invoice.payment_failed":
      change = await fromInvoice(db, event.data.object, false, event.created);
      break;
    default:
      return { outcome: "ignored", workspace_id: null };
  }
  const outcome = await writeEventOutcome(db, event.id, change);
  if (!change) return { outcome: outcome === "duplicate" ? "duplicate" : "ignored", workspace_id: null };
  return { outcome, workspace_id: change.workspaceId };
}
