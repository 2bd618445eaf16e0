/** What the billing page says when Stripe sends the admin back: paid, canceled, or a plan change sent. */
import type { Billing } from "../../../../schema/api";
import { Notice } from "../ui";
import { PLAN_NAMES } from "./plan-names";

/** Where Stripe sent the admin back from, read from the query string Stripe returns with. */
export type Returned = "checkout_success" | "checkout_canceled" | "plan_changed" | null;

/** Reads where Stripe sent the admin back from. */
export function returnedFrom(params: URLSearchParams): Returned {
  const checkout = params.get("checkout");
  if (checkout === "success") return "checkout_success";
  if (checkout === "canceled") return "checkout_canceled";
  if (params.get("plan_change") === "done") return "plan_changed";
  return null;
}

/** The notice for a return from Stripe, or nothing. */
export function ReturnNotice({ returned, billing }: { returned: Returned; billing: Billing }) {
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
