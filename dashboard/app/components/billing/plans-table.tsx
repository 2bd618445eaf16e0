/** The plans, their limits, and the buttons to upgrade through Stripe. */
import type { Billing, PlanLimits } from "../../../../schema/api";
import { limitText } from "./billing-format";
import { PLAN_NAMES } from "./plan-names";
import { StripeButton } from "./stripe-button";

function LimitsCells({ limits: l }: { limits: PlanLimits }) {
  return (
    <>
      <td className="num">{limitText(l.conversations_per_month)}</td>
      <td className="num">{limitText(l.api_calls_per_month)}</td>
      <td className="num">{limitText(l.assistants)}</td>
      <td className="num">{limitText(l.documents)}</td>
    </>
  );
}

/** Props of the plans table. */
export interface PlansTableProps {
  billing: Billing;
  heldBack: boolean;
  hasSubscription: boolean;
  pending: FormData | undefined;
}

/** The "Plans" section of the billing page (shown when billing is on). */
export function PlansTable({ billing: b, heldBack, hasSubscription, pending }: PlansTableProps) {
  return (
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
                <LimitsCells limits={p.limits} />
                <td>
                  {p.current ? (
                    <span className="badge badge-current">Current plan</span>
                  ) : b.upgrade_to.includes(p.plan) ? (
                    <StripeButton intent="checkout" plan={p.plan} label={`Upgrade to ${PLAN_NAMES[p.plan]}`} className="button small" pending={pending} />
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
  );
}
