/** How the billing page writes months, days and invoice amounts. */
import { count } from "../../lib/format";

/** `2026-11` as "November 2026". */
export function monthName(month: string): string {
  const d = new Date(`${month}-01T00:00:00Z`);
  return Number.isNaN(d.getTime()) ? month : d.toLocaleString("en-US", { month: "long", year: "numeric", timeZone: "UTC" });
}

/** A timestamp as a date (UTC). */
export function day(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleDateString("en-US", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

/** An amount in the currency's smallest unit (Stripe's cents), formatted in that currency. */
export function money(amount: number, currency: string): string {
  try {
    const format = new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    return format.format(amount / 10 ** digits);
  } catch {
    return `${count(amount)} ${currency.toUpperCase()}`;
  }
}

/** A plan's limit, or "Unlimited". */
export function limitText(limit: number | null): string {
  return limit === null ? "Unlimited" : count(limit);
}
