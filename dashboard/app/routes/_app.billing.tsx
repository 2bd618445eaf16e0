import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { data, redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import type { AnalyticsSummary, Billing, HostedPage, Invoice, PlanLimits } from "../../../schema/api";
import { Badge, Csrf, EmptyState, errorsOf, Notice, PageHeader } from "../components/ui";
import { ApiFailure } from "../lib/api.server";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { count, usd } from "../lib/format";
import { attempt, invalid, readForm, text, type ActionResult } from "../lib/forms.server";

export const meta: MetaFunction = () => [{ title: "Billing · EdgeDesk" }];

type Plan = Billing["plan"];

const PLAN_NAMES: Record<Plan, string> = { starter: "Starter", pro: "Pro", enterprise: "Enterprise" };
const INVOICE_ID = /^in_[0-9A-Za-z]+$/;
const INVOICES_PER_PAGE = 12;
/** Subscription states in which Stripe still expects money (the Billing Portal is the way to fix them). */
const HELD_BACK = new Set(["past_due", "unpaid", "incomplete", "paused"]);

/** Where Stripe sent the admin back from, read from the query string Stripe returns with. */
type Returned = "checkout_success" | "checkout_canceled" | "plan_changed" | null;

function returnedFrom(params: URLSearchParams): Returned {
  const checkout = params.get("checkout");
  if (checkout === "success") return "checkout_success";
  if (checkout === "canceled") return "checkout_canceled";
  if (params.get("plan_change") === "done") return "plan_changed";
  return null;
}

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
async function toStripe(intent: string, call: () => Promise<HostedPage>) {
  const result = await attempt(intent, call);
  if (!result.data.ok) return result;
  const page = result.data.result;
  let url: URL | null = null;
  try {
    url = page ? new URL(page.url) : null;
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
}

export async function action(args: ActionFunctionArgs) {
  await requireRole(args, "admin");
  const form = await readForm(args);
  const intent = text(form, "intent") ?? "";
  if (intent === "checkout") {
    const plan = text(form, "plan");
    if (plan !== "pro" && plan !== "enterprise") return invalid(intent, "Choose a plan to upgrade to.", { plan: "must be pro or enterprise" });
    return toStripe(intent, () => api<HostedPage>(args, "POST", "/billing/checkout", { body: { plan } }));
  }
  if (intent === "portal") return toStripe(intent, () => api<HostedPage>(args, "POST", "/billing/portal"));
  return invalid(intent, "Unknown action.");
}

// ---- display helpers -------------------------------------------------------------------------

/** `2026-11` as "November 2026". */
function monthName(month: string): string {
  const d = new Date(`${month}-01T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? month : d.toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** A timestamp as a date (UTC). */
function day(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString("en-US", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/** An amount in the currency's smallest unit (Stripe's cents), formatted in that currency. */
function money(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${count(amount)} ${currency.toUpperCase()}`;
  }
}

function limitText(limit: number | null): string {
  return limit === null ? "Unlimited" : count(limit);
}

/** A bar showing how much of a limit is used; the numbers next to it say the same in words. */
function UsageBar({ used, limit }: { used: number; limit: number }) {
  const share = limit > 0 ? Math.min(1, used / limit) : 1;
  const level = share >= 1 ? "full" : share >= 0.8 ? "high" : "ok";
  return (
    <span className="meter" data-level={level} aria-hidden="true">
      <span style={{ width: `${Math.round(share * 100)}%` }} />
    </span>
  );
}

interface UsageRow {
  id: string;
  label: string;
  used: string;
  limit: string;
  /** Set when the usage is measured against a cap of the plan. */
  bar?: { used: number; limit: number };
}

function usageRows(b: Billing): UsageRow[] {
  const capped = b.billing_enabled;
  const cap = (id: string, label: string, used: number, limit: number | null): UsageRow => {
    if (!capped) return { id, label, used: count(used), limit: "No limit" };
    if (limit === null) return { id, label, used: count(used), limit: "Unlimited" };
    const left = used >= limit ? " · limit reached" : "";
    return { id, label, used: count(used), limit: `${count(limit)}${left}`, bar: { used, limit } };
  };
  const apiLimit = b.limits.api_calls_per_month;
  return [
    cap("conversations", "Conversations started", b.usage.conversations, b.limits.conversations_per_month),
    {
      id: "api_calls",
      label: "API calls",
      used: count(b.usage.api_calls),
      limit: apiLimit === null ? "Unlimited" : `${count(apiLimit)} per key or widget visitor, per 30 days`,
    },
    { id: "tokens", label: "Model tokens", used: count(b.usage.tokens), limit: "Not limited" },
    { id: "cost", label: "Estimated model cost", used: usd(b.usage.estimated_cost_usd), limit: "Not limited" },
    cap("assistants", "Assistants", b.usage.assistants, b.limits.assistants),
    cap("documents", "Knowledge-base documents", b.usage.documents, b.limits.documents),
  ];
}

function limitsCells(l: PlanLimits) {
  return (
    <>
      <td className="num">{limitText(l.conversations_per_month)}</td>
      <td className="num">{limitText(l.api_calls_per_month)}</td>
      <td className="num">{limitText(l.assistants)}</td>
      <td className="num">{limitText(l.documents)}</td>
    </>
  );
}

function ReturnNotice({ returned, billing }: { returned: Returned; billing: Billing }) {
  if (returned === "checkout_canceled") {
    return <Notice kind="info">Checkout was canceled; nothing was charged. You can upgrade whenever you are ready.</Notice>;
  }
  if (returned === "checkout_success") {
    const active = billing.plan !== "starter" && billing.subscription_status === "active";
    return (
      <Notice kind="success">
        <strong>Thank you, your payment went through.</strong>{" "}
        {active
          ? `The workspace is now on the ${PLAN_NAMES[billing.plan]} plan.`
          : "The new plan applies as soon as Stripe confirms the subscription, usually within a few seconds. Reload this page to see it."}
      </Notice>
    );
  }
  if (returned === "plan_changed") {
    return (
      <Notice kind="success">
        <strong>Your plan change was sent to Stripe.</strong> The new limits apply as soon as Stripe confirms it, usually within a few seconds.
      </Notice>
    );
  }
  return null;
}

export default function BillingPage() {
  const { billing: b, invoices, nextInvoices, invoicesError, olderInvoices, returned } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const pending = navigation.state !== "idle" && navigation.formMethod?.toLowerCase() === "post" ? navigation.formData : undefined;
  const pendingIntent = pending?.get("intent");
  const pendingPlan = pending?.get("plan");
  const errors = errorsOf(result);
  const heldBack = b.billing_enabled && b.plan !== b.subscribed_plan && HELD_BACK.has(b.subscription_status);
  const hasSubscription = b.subscription_status !== "none";
  const month = monthName(b.usage.period.month);
  const rows = usageRows(b);

  const portalButton = (label: string) => (
    <Form method="post" className="inline-form">
      <Csrf />
      <input type="hidden" name="intent" value="portal" />
      <button className="button secondary" type="submit" disabled={pending !== undefined}>
        {pendingIntent === "portal" ? "Opening Stripe…" : label}
      </button>
    </Form>
  );

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

      <section className="card stack" aria-labelledby="plan-heading">
        <h2 id="plan-heading">Plan</h2>
        <dl className="stats">
          <div className="stat" data-billing="plan">
            <dt>Plan in force</dt>
            <dd>{PLAN_NAMES[b.plan]}</dd>
          </div>
          <div className="stat" data-billing="status">
            <dt>Subscription</dt>
            <dd>{hasSubscription ? <Badge value={b.subscription_status} /> : <span className="muted">None</span>}</dd>
          </div>
          {b.current_period_end ? (
            <div className="stat" data-billing="period-end">
              <dt>{b.cancel_at_period_end ? "Ends on" : "Renews on"}</dt>
              <dd>{day(b.current_period_end)}</dd>
            </div>
          ) : null}
          {b.subscribed_plan !== b.plan ? (
            <div className="stat" data-billing="subscribed">
              <dt>Plan paid for</dt>
              <dd>{PLAN_NAMES[b.subscribed_plan]}</dd>
            </div>
          ) : null}
        </dl>
        {heldBack ? (
          <div className="notice notice-error" role="alert">
            The {PLAN_NAMES[b.subscribed_plan]} subscription is {b.subscription_status.replace(/_/g, " ")}, so the {PLAN_NAMES[b.plan]} plan's limits
            apply until it is paid. Update the payment method in the billing portal.
          </div>
        ) : b.billing_enabled && b.plan !== b.subscribed_plan ? (
          <p className="notice notice-info">
            The {PLAN_NAMES[b.subscribed_plan]} subscription is {b.subscription_status.replace(/_/g, " ")}, so the {PLAN_NAMES[b.plan]} plan's limits
            apply. Choose a plan below to subscribe again.
          </p>
        ) : null}
        {b.cancel_at_period_end && b.current_period_end ? (
          <p className="muted">The subscription is canceled and ends on {day(b.current_period_end)}; after that the Starter plan's limits apply.</p>
        ) : null}
        {b.billing_enabled && hasSubscription ? (
          <div className="actions">
            {portalButton("Manage payment method and subscription")}
            <span className="muted small">Opens Stripe's billing portal.</span>
          </div>
        ) : null}
      </section>

      <section aria-labelledby="usage-heading">
        <h2 id="usage-heading">Usage in {month}</h2>
        <p className="muted small">
          Counted since {day(b.usage.period.from)}; monthly counts start again on {day(b.usage.period.to)} (UTC).
        </p>
        <div className="table-wrap" tabIndex={0} role="region" aria-label={`Usage in ${month}`}>
          <table>
            <caption className="visually-hidden">Usage in {month} against the plan's limits</caption>
            <thead>
              <tr>
                <th scope="col">What</th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">Limit</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-usage={r.id}>
                  <th scope="row">{r.label}</th>
                  <td className="num">{r.used}</td>
                  <td>
                    {r.limit}
                    {r.bar ? <UsageBar used={r.bar.used} limit={r.bar.limit} /> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      {b.billing_enabled ? (
        <section aria-labelledby="plans-heading">
          <h2 id="plans-heading">Plans</h2>
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Plans and their limits">
            <table>
              <caption className="visually-hidden">Plans and their limits</caption>
              <thead>
                <tr>
                  <th scope="col">Plan</th>
                  <th scope="col" className="num">
                    Conversations a month
                  </th>
                  <th scope="col" className="num">
                    API calls per key, 30 days
                  </th>
                  <th scope="col" className="num">
                    Assistants
                  </th>
                  <th scope="col" className="num">
                    Documents
                  </th>
                  <th scope="col">Upgrade</th>
                </tr>
              </thead>
              <tbody>
                {b.plans.map((p) => (
                  <tr key={p.plan} data-plan={p.plan}>
                    <th scope="row">{PLAN_NAMES[p.plan]}</th>
                    {limitsCells(p.limits)}
                    <td>
                      {p.current ? (
                        <span className="badge badge-current">Current plan</span>
                      ) : b.upgrade_to.includes(p.plan) ? (
                        <Form method="post" className="inline-form">
                          <Csrf />
                          <input type="hidden" name="intent" value="checkout" />
                          <input type="hidden" name="plan" value={p.plan} />
                          <button className="button small" type="submit" disabled={pending !== undefined}>
                            {pendingIntent === "checkout" && pendingPlan === p.plan ? "Opening Stripe…" : `Upgrade to ${PLAN_NAMES[p.plan]}`}
                          </button>
                        </Form>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {b.upgrade_to.length > 0 ? (
            <p className="muted small">
              {hasSubscription && !heldBack
                ? "You confirm the change on Stripe's page; Stripe prorates the difference."
                : "You pay on Stripe's secure checkout page and come back here afterwards."}
            </p>
          ) : b.plan !== "enterprise" ? (
            <p className="muted small">No higher plan can be bought on this deployment yet: its Stripe prices are not set.</p>
          ) : null}
        </section>
      ) : null}

      <section aria-labelledby="invoices-heading">
        <h2 id="invoices-heading">Invoices</h2>
        {invoicesError ? (
          <Notice kind="error">The invoices could not be loaded: {invoicesError}</Notice>
        ) : invoices.length === 0 ? (
          <EmptyState title={olderInvoices ? "No older invoices" : "No invoices yet"}>
            <p>
              {b.billing_enabled
                ? "Invoices appear here after the first payment."
                : "Invoices appear here once billing is set up on this deployment and a plan is paid for."}
            </p>
          </EmptyState>
        ) : (
          <div className="table-wrap" tabIndex={0} role="region" aria-label="Invoices, newest first">
            <table>
              <caption className="visually-hidden">Invoices, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Invoice</th>
                  <th scope="col">Date</th>
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">
                    Total
                  </th>
                  <th scope="col">View or download</th>
                </tr>
              </thead>
              <tbody>
                {invoices.map((i) => {
                  const name = i.number ?? i.id;
                  return (
                    <tr key={i.id} data-invoice={i.id}>
                      <td>{name}</td>
                      <td className="nowrap">{day(i.created_at)}</td>
                      <td>
                        <span className="nowrap">{day(i.period_start)}</span> – <span className="nowrap">{day(i.period_end)}</span>
                      </td>
                      <td>{i.status ? <Badge value={i.status} /> : "—"}</td>
                      <td className="num nowrap">{money(i.total, i.currency)}</td>
                      <td>
                        <span className="actions">
                          {i.hosted_invoice_url ? (
                            <a href={i.hosted_invoice_url} target="_blank" rel="noreferrer" aria-label={`View invoice ${name} (opens in a new tab)`}>
                              View
                            </a>
                          ) : null}
                          {i.invoice_pdf ? (
                            <a href={i.invoice_pdf} target="_blank" rel="noreferrer" aria-label={`Download invoice ${name} as PDF (opens in a new tab)`}>
                              PDF
                            </a>
                          ) : null}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
        <p className="actions">
          {params.get("invoices_after") ? <Link to="/billing">Newest invoices</Link> : null}
          {nextInvoices ? <Link to={`/billing?invoices_after=${encodeURIComponent(nextInvoices)}`}>Older invoices</Link> : null}
        </p>
      </section>
    </>
  );
}
