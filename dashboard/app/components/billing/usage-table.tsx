/** This month's usage against the plan's limits. */
import type { Billing } from "../../../../schema/api";
import { count, usd } from "../../lib/format";
import { day } from "./billing-format";

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

/** The "Usage in <month>" section of the billing page. */
export function UsageTable({ billing: b, month }: { billing: Billing; month: string }) {
  return (
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
            {usageRows(b).map((r) => (
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
  );
}
