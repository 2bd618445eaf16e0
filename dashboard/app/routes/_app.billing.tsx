import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { data, redirect } from "@remix-run/cloudflare";
import { useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { AnalyticsSummary, Billing, HostedPage, Invoice } from "../../../schema/api";
import { monthName } from "../components/billing/billing-format";
import { InvoicesTable } from "../components/billing/invoices-table";
import { PlanCard } from "../components/billing/plan-card";
import { HELD_BACK } from "../components/billing/plan-names";
import { PlansTable } from "../components/billing/plans-table";
import { returnedFrom, ReturnNotice } from "../components/billing/return-notice";
import { UsageTable } from "../components/billing/usage-table";
import { errorsOf, Notice, PageHeader } from "../components/ui";
import { ApiFailure } from "../lib/api.server";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { attemptThen, intentAction, invalid, text, type ActionResult } from "../lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Billing · EdgeDesk" }];

const INVOICE_ID = /^in_[0-9A-Za-z]+$/;
const INVOICES_PER_PAGE = 12;

export async function loader(args: LoaderFunctionArgs) {
  await requireRole(args, "admin");
  const params = new URL(args.request.url).searchParams;
  const after = params.get("invoices_after");
  const cursor = after && INVOICE_ID.test(after) ? after : undefined;
  // The invoices come from Stripe: when they cannot be read, the rest of the page still shows.
  const invoices = api<{ data: Invoice[]; next_cursor: string | null }>(args, "GET", "/billing/invoices", {
    query: { limit: INVOICES_PER_PAGE, cursor },
  }).then(
    (page) => ({ list: page.data, next: page.next_cursor, error: null as string | null }),
    (err: unknown) => {
      if (err instanceof ApiFailure) return { list: [] as Invoice[], next: null as string | null, error: err.message };
      throw err;
    },
  );
  try {
    const [billing, inv] = await Promise.all([api<Billing>(args, "GET", "/billing"), invoices]);
    return {
      billing: billing.billing_enabled ? billing : await withCountedConversations(args, billing),
      invoices: inv.list,
      nextInvoices: inv.next,
      invoicesError: inv.error,
      olderInvoices: cursor !== undefined,
      returned: returnedFrom(params),
    };
  } catch (err) {
    return loaderFailure(err);
  }
}

/**
 * Without Stripe nothing is capped, so the Worker does not meter conversations and its monthly
 * count stays at zero; the month's analytics summary counts them all the same.
 */
async function withCountedConversations(args: LoaderFunctionArgs, billing: Billing): Promise<Billing> {
  try {
    const { from, to } = billing.usage.period;
    const summary = await api<AnalyticsSummary>(args, "GET", "/analytics/summary", { query: { from, to } });
    return { ...billing, usage: { ...billing.usage, conversations: Math.max(billing.usage.conversations, summary.conversations) } };
  } catch (err) {
    if (err instanceof ApiFailure) return billing;
    throw err;
  }
}

/** Sends the browser to the page Stripe hosts, or answers with the form's error. */
function toStripe(intent: string, call: () => Promise<HostedPage>) {
  return attemptThen(intent, call, (page) => {
    let url: URL | null = null;
    try {
      url = new URL(page.url);
    } catch {
      url = null;
    }
    if (!url || url.protocol !== "https:") {
      return data<ActionResult>(
        { ok: false, intent, error: { message: "The payment provider did not return a page to open. Try again in a moment.", fields: {} } },
        { status: 502 },
      );
    }
    return redirect(url.toString());
  });
}

export const action = intentAction("admin", {
  checkout: ({ args, form, intent }) => {
    const plan = text(form, "plan");
    if (plan !== "pro" && plan !== "enterprise") return invalid(intent, "Choose a plan to upgrade to.", { plan: "must be pro or enterprise" });
    return toStripe(intent, () => api<HostedPage>(args, "POST", "/billing/checkout", { body: { plan } }));
  },
  portal: ({ args, intent }) => toStripe(intent, () => api<HostedPage>(args, "POST", "/billing/portal")),
});

export default function BillingPage() {
  const { billing: b, invoices, nextInvoices, invoicesError, olderInvoices, returned } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const pending = navigation.state !== "idle" && navigation.formMethod?.toLowerCase() === "post" ? navigation.formData : undefined;
  const errors = errorsOf(result);
  const heldBack = b.billing_enabled && b.plan !== b.subscribed_plan && HELD_BACK.has(b.subscription_status);
  const hasSubscription = b.subscription_status !== "none";

  return (
    <>
      <PageHeader title="Billing" description="Your plan, this month's usage against its limits, and your invoices." />
      <ReturnNotice returned={returned} billing={b} />
      <Notice kind="error">{errors.message}</Notice>

      {b.billing_enabled ? null : (
        <div className="notice notice-info billing-off" data-testid="billing-off">
          <p>
            <strong>Billing is not configured on this deployment; all limits are off.</strong>
          </p>
          <p>
            Nothing can be bought here, and conversations, assistants and knowledge-base documents are not capped (each API key keeps its own rate
            limits). Usage is still counted below. To turn billing on, the Worker needs a Stripe secret key (<code>STRIPE_SECRET_KEY</code>).
          </p>
        </div>
      )}

      <PlanCard billing={b} heldBack={heldBack} hasSubscription={hasSubscription} pending={pending} />
      <UsageTable billing={b} month={monthName(b.usage.period.month)} />
      {b.billing_enabled ? <PlansTable billing={b} heldBack={heldBack} hasSubscription={hasSubscription} pending={pending} /> : null}
      <InvoicesTable
        invoices={invoices}
        nextInvoices={nextInvoices}
        invoicesError={invoicesError}
        olderInvoices={olderInvoices}
        billingEnabled={b.billing_enabled}
      />
    </>
  );
}
