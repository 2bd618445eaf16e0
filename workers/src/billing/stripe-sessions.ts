/**
 * The pages Stripe hosts for a workspace: Checkout to subscribe, the Billing Portal to change
 * plan, payment method or cancel, and the invoice list.
 */
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { ApiError } from "../lib/errors";
import { schema, type Db } from "../storage/db";
import type { Plan } from "./plans";
import { createStripe, priceForPlan, upstreamError, type StripeEnv } from "./stripe-client";
import { getSubscription, isHeldBack, isLive, rememberCustomer } from "./subscription-state";

/** What the billing routes read from the environment. */
export type BillingEnv = StripeEnv & Pick<Env, "DB" | "DASHBOARD_URL">;

/** Where Stripe sends the admin back to: the dashboard's billing page. */
function billingPage(env: BillingEnv, query = ""): string {
  const base = (env.DASHBOARD_URL || "http://localhost:8788").replace(/\/+$/, "");
  return `${base}/billing${query}`;
}

async function stripeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw upstreamError(err);
  }
}

/** The workspace's Stripe customer, created on first use (idempotently: a double click makes one). */
async function ensureCustomer(env: BillingEnv, db: Db, stripe: Stripe, workspaceId: string): Promise<string> {
  const state = await getSubscription(db, workspaceId);
  if (state.stripe_customer_id) return state.stripe_customer_id;
  const ws = await db
    .select({ name: schema.workspaces.name, company: schema.workspaces.company_name })
    .from(schema.workspaces)
    .where(eq(schema.workspaces.id, workspaceId))
    .get();
  const customer = await stripeCall(() =>
    stripe.customers.create(
      { name: ws?.company ?? ws?.name ?? workspaceId, metadata: { workspace_id: workspaceId } },
      { idempotencyKey: `edgedesk-customer-${workspaceId}` },
    ),
  );
  await rememberCustomer(db, workspaceId, customer.id);
  return customer.id;
}

/** A page to send the admin to, and which kind it is. */
export interface HostedPage {
  url: string;
  kind: "checkout" | "portal";
}

/**
 * Where to go to move the workspace to `plan`: Stripe Checkout when it has no live
 * subscription; the Billing Portal's plan-change confirmation when it has one (a second
 * subscription would bill twice). 409 when it already pays for that plan.
 */
export async function startPlanChange(env: BillingEnv, db: Db, workspaceId: string, plan: Exclude<Plan, "starter">): Promise<HostedPage> {
  const price = priceForPlan(env, plan);
  const stripe = createStripe(env);
  const state = await getSubscription(db, workspaceId);
  const customer = await ensureCustomer(env, db, stripe, workspaceId);

  if (state.stripe_subscription_id && isLive(state.status)) {
    if (state.plan === plan) {
      throw new ApiError(
        "conflict",
        isHeldBack(state)
          ? `the ${plan} subscription is ${state.status.replace(/_/g, " ")}: update the payment method with POST /api/v1/billing/portal`
          : `the workspace is already on the ${plan} plan`,
        { plan, subscription_status: state.status },
      );
    }
    const session = await stripeCall(() =>
      stripe.billingPortal.sessions.create({
        customer,
        return_url: billingPage(env, "?plan_change=done"),
        ...(state.stripe_subscription_item_id
          ? {
              flow_data: {
                type: "subscription_update_confirm" as const,
                subscription_update_confirm: {
                  subscription: state.stripe_subscription_id!,
                  items: [{ id: state.stripe_subscription_item_id, price, quantity: 1 }],
                },
              },
            }
          : {}),
      }),
    );
    return { url: session.url, kind: "portal" };
  }

  const session = await stripeCall(() =>
    stripe.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: workspaceId,
      line_items: [{ price, quantity: 1 }],
      metadata: { workspace_id: workspaceId, plan },
      subscription_data: { metadata: { workspace_id: workspaceId, plan } },
      success_url: billingPage(env, "?checkout=success&session_id={CHECKOUT_SESSION_ID}"),
      cancel_url: billingPage(env, "?checkout=canceled"),
    }),
  );
  if (!session.url) throw new ApiError("upstream_error", "the payment provider returned no checkout page", { provider: "stripe" });
  return { url: session.url, kind: "checkout" };
}

/** The Billing Portal (payment method, invoices, cancel); 409 before the workspace has a customer. */
export async function openBillingPortal(env: BillingEnv, db: Db, workspaceId: string): Promise<HostedPage> {
  const stripe = createStripe(env);
  const state = await getSubscription(db, workspaceId);
  if (!state.stripe_customer_id) {
    throw new ApiError("conflict", "the workspace has no billing account yet; subscribe first with POST /api/v1/billing/checkout");
  }
  const session = await stripeCall(() =>
    stripe.billingPortal.sessions.create({ customer: state.stripe_customer_id!, return_url: billingPage(env) }),
  );
  return { url: session.url, kind: "portal" };
}

/** One invoice as the billing page lists it. */
export interface InvoiceView {
  id: string;
  number: string | null;
  status: string | null;
  currency: string;
  amount_due: number;
  amount_paid: number;
  total: number;
  created_at: string;
  period_start: string;
  period_end: string;
  hosted_invoice_url: string | null;
  invoice_pdf: string | null;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

function toInvoice(i: Stripe.Invoice): InvoiceView {
  return {
    id: i.id!,
    number: i.number,
    status: i.status,
    currency: i.currency,
    amount_due: i.amount_due,
    amount_paid: i.amount_paid,
    total: i.total,
    created_at: iso(i.created),
    period_start: iso(i.period_start),
    period_end: iso(i.period_end),
    hosted_invoice_url: i.hosted_invoice_url ?? null,
    invoice_pdf: i.invoice_pdf ?? null,
  };
}

/** A page of the workspace's invoices, newest first; empty without billing or a customer. */
export async function listInvoices(env: BillingEnv, db: Db, workspaceId: string, limit: number, cursor?: string) {
  const state = await getSubscription(db, workspaceId);
  if (!env.STRIPE_SECRET_KEY?.trim() || !state.stripe_customer_id) return { data: [] as InvoiceView[], next_cursor: null };
  const stripe = createStripe(env);
  const page = await stripeCall(() =>
    stripe.invoices.list({ customer: state.stripe_customer_id!, limit, ...(cursor ? { starting_after: cursor } : {}) }),
  );
  const data = page.data.map(toInvoice);
  return { data, next_cursor: page.has_more && data.length > 0 ? data[data.length - 1]!.id : null };
}

/** Cancels the workspace's live subscription at once (the workspace is being erased). */
export async function cancelSubscriptionNow(env: BillingEnv, db: Db, workspaceId: string): Promise<boolean> {
  const state = await getSubscription(db, workspaceId);
  if (!state.stripe_subscription_id || !isLive(state.status) || !env.STRIPE_SECRET_KEY?.trim()) return false;
  const stripe = createStripe(env);
  try {
    await stripe.subscriptions.cancel(state.stripe_subscription_id);
  } catch (err) {
    // Already canceled on Stripe's side: nothing left to stop.
    if ((err as { code?: string }).code === "resource_missing") return false;
    throw upstreamError(err);
  }
  return true;
}
