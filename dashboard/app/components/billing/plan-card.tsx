/** The plan in force, the subscription's state, and the way to Stripe's billing portal. */
import type { Billing } from "../../../../schema/api";
import { Badge } from "../ui";
import { day } from "./billing-format";
import { PLAN_NAMES } from "./plan-names";
import { StripeButton } from "./stripe-button";

/** Props of the plan card. */
export interface PlanCardProps {
  billing: Billing;
  /** A paid plan whose payment is overdue, so a lower plan's limits apply. */
  heldBack: boolean;
  hasSubscription: boolean;
  pending: FormData | undefined;
}

/** The "Plan" section of the billing page. */
export function PlanCard({ billing: b, heldBack, hasSubscription, pending }: PlanCardProps) {
  return (
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
          <StripeButton intent="portal" label="Manage payment method and subscription" className="button secondary" pending={pending} />
          <span className="muted small">Opens Stripe's billing portal.</span>
        </div>
      ) : null}
    </section>
  );
}
