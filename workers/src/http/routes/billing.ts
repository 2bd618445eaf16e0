import { createRoute, z } from "@hono/zod-openapi";
import { BillingSchema, CheckoutBody, HostedPageSchema, InvoiceListQuery, InvoiceSchema } from "../../../../schema/api";
import { recordAudit } from "../../analytics/audit";
import { analyticsSummary } from "../../analytics/summary";
import { billingOverview } from "../../billing/overview";
import type { UsagePeriod } from "../../billing/usage";
import { listInvoices, openBillingPortal, startPlanChange } from "../../billing/stripe-sessions";
import { createDb } from "../../storage/db";
import { authenticate } from "../middleware/authenticate";
import { auditContext, errorResponses, json, jsonBody, router } from "../openapi";

const admin = authenticate({ minRole: "admin" });

/** Billing (admin only): plan, usage and limits, Stripe Checkout and Billing Portal, invoices. */
export const billingRoutes = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/billing",
      tags: ["billing"],
      summary: "The plan in force and paid for, this month's usage, the limits and the upgrade path",
      middleware: [admin],
      responses: { 200: json(BillingSchema), ...errorResponses(401, 403) },
    }),
    async (c) => {
      const workspaceId = c.get("principal").workspaceId;
      const modelUsage = ({ from, to }: UsagePeriod) => analyticsSummary(c.env, workspaceId, { from, to });
      return c.json(await billingOverview(c.env, createDb(c.env.DB), workspaceId, modelUsage), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/billing/checkout",
      tags: ["billing"],
      summary: "A page to subscribe to (Stripe Checkout) or switch to (Billing Portal) a paid plan",
      middleware: [admin],
      request: { body: jsonBody(CheckoutBody) },
      responses: { 200: json(HostedPageSchema), ...errorResponses(400, 401, 403, 409) },
    }),
    async (c) => {
      const p = c.get("principal");
      const { plan } = c.req.valid("json");
      const page = await startPlanChange(c.env, createDb(c.env.DB), p.workspaceId, plan);
      await recordAudit(c.env, p, { action: "billing.checkout_started", targetType: "workspace", targetId: p.workspaceId, metadata: { plan, kind: page.kind } }, auditContext(c));
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/billing/portal",
      tags: ["billing"],
      summary: "A Stripe Billing Portal page: payment method, invoices, plan changes, cancelation",
      middleware: [admin],
      responses: { 200: json(HostedPageSchema), ...errorResponses(401, 403, 409) },
    }),
    async (c) => c.json(await openBillingPortal(c.env, createDb(c.env.DB), c.get("principal").workspaceId), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/billing/invoices",
      tags: ["billing"],
      summary: "The workspace's invoices from Stripe, newest first",
      middleware: [admin],
      request: { query: InvoiceListQuery },
      responses: { 200: json(z.object({ data: z.array(InvoiceSchema), next_cursor: z.string().nullable() })), ...errorResponses(400, 401, 403) },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      return c.json(await listInvoices(c.env, createDb(c.env.DB), c.get("principal").workspaceId, limit, cursor), 200);
    },
  );
