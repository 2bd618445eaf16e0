/** A form button that sends the admin to a page Stripe hosts (checkout or the billing portal). */
import { Form } from "@remix-run/react";
import { Csrf } from "../ui";

/** Props of a button to Stripe: what it asks for, and the post under way, if any. */
export interface StripeButtonProps {
  intent: "checkout" | "portal";
  /** For `checkout`: the plan to buy. */
  plan?: string;
  label: string;
  className: string;
  /** The form being posted now; every button waits for it. */
  pending: FormData | undefined;
}

/** Posts `intent` (and `plan`); says "Opening Stripe…" while its own post is under way. */
export function StripeButton({ intent, plan, label, className, pending }: StripeButtonProps) {
  const mine = pending?.get("intent") === intent && (plan === undefined || pending.get("plan") === plan);
  return (
    <Form method="post" className="inline-form">
      <Csrf />
      <input type="hidden" name="intent" value={intent} />
      {plan === undefined ? null : <input type="hidden" name="plan" value={plan} />}
      <button className={className} type="submit" disabled={pending !== undefined}>
        {mine ? "Opening Stripe…" : label}
      </button>
    </Form>
  );
}
