/** Billing: the plan, its limits and usage, Stripe checkout and portal pages, invoices. */
import { z } from "@hono/zod-openapi";
import { isoTimestamp, PlanSchema } from "./common";

/** What a plan allows; null is unlimited. */
export const PlanLimitsSchema = z
  .object({
    api_calls_per_month: z.number().int().nullable(),
    conversations_per_month: z.number().int().nullable(),
    assistants: z.number().int().nullable(),
    documents: z.number().int().nullable(),
  })
  .openapi("PlanLimits");

/** What the workspace used this month, against its limits. */
export const BillingUsageSchema = z
  .object({
    period: z.object({ month: z.string().openapi({ example: "2026-11" }), from: isoTimestamp, to: isoTimestamp }),
    conversations: z.number().int(),
    api_calls: z.number().int(),
    tokens: z.number().int(),
    estimated_cost_usd: z.number(),
    assistants: z.number().int(),
    documents: z.number().int(),
  })
  .openapi("BillingUsage");

/** The workspace's plan, subscription, limits, usage, and the plans it can move to. */
export const BillingSchema = z
  .object({
    /** The plan whose limits apply now (starter while a paid subscription is not paid up). */
    plan: PlanSchema,
    /** The plan paid for; differs from `plan` while the subscription is past due or canceled. */
    subscribed_plan: PlanSchema,
    /** Stripe's subscription status (`active`, `past_due`, `canceled`…), or `none`. */
    subscription_status: z.string(),
    current_period_end: isoTimestamp.nullable(),
    cancel_at_period_end: z.boolean(),
    /** False when this deployment has no Stripe key: nothing can be bought, nothing is capped. */
    billing_enabled: z.boolean(),
    limits: PlanLimitsSchema,
    usage: BillingUsageSchema,
    plans: z.array(
      z.object({ plan: PlanSchema, limits: PlanLimitsSchema, current: z.boolean(), purchasable: z.boolean() }),
    ),
    /** Plans above the current one that can be bought here, cheapest first. */
    upgrade_to: z.array(PlanSchema),
  })
  .openapi("Billing");

/** `POST /billing/checkout`: the paid plan to buy. */
export const CheckoutBody = z.strictObject({ plan: z.enum(["pro", "enterprise"]) }).openapi("CheckoutRequest");

/** A page hosted by Stripe to send the admin to. */
export const HostedPageSchema = z
  .object({ url: z.string(), kind: z.enum(["checkout", "portal"]) })
  .openapi("HostedPage");

/** An invoice from Stripe. */
export const InvoiceSchema = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    status: z.string().nullable(),
    currency: z.string(),
    /** Amounts in the currency's smallest unit (cents). */
    amount_due: z.number().int(),
    amount_paid: z.number().int(),
    total: z.number().int(),
    created_at: isoTimestamp,
    period_start: isoTimestamp,
    period_end: isoTimestamp,
    hosted_invoice_url: z.string().nullable(),
    invoice_pdf: z.string().nullable(),
  })
  .openapi("Invoice");

/** `GET /billing/invoices`: a page of invoices, the cursor being Stripe's invoice id. */
export const InvoiceListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(255)
    .regex(/^in_[0-9A-Za-z]+$/, "must be an invoice id")
    .optional(),
});

/** The workspace's billing state. */
export type Billing = z.infer<typeof BillingSchema>;
/** What a plan allows. */
export type PlanLimits = z.infer<typeof PlanLimitsSchema>;
/** An invoice. */
export type Invoice = z.infer<typeof InvoiceSchema>;
/** A page hosted by Stripe. */
export type HostedPage = z.infer<typeof HostedPageSchema>;
