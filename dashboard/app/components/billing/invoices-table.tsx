/** The workspace's invoices from Stripe, a page at a time, with links to view or download each. */
import { Link, useSearchParams } from "@remix-run/react";
import type { Invoice } from "../../../../schema/api";
import { Badge, EmptyState, Notice } from "../ui";
import { day, money } from "./billing-format";

/** Props of the invoices table. */
export interface InvoicesTableProps {
  invoices: Invoice[];
  /** Cursor of the next (older) page, if any. */
  nextInvoices: string | null;
  /** Why the invoices could not be read (Stripe unreachable, say); the rest of the page still shows. */
  invoicesError: string | null;
  /** This page is not the newest. */
  olderInvoices: boolean;
  billingEnabled: boolean;
}

/** The "Invoices" section of the billing page. */
export function InvoicesTable({ invoices, nextInvoices, invoicesError, olderInvoices, billingEnabled }: InvoicesTableProps) {
  const [params] = useSearchParams();
  return (
    <section aria-labelledby="invoices-heading">
      <h2 id="invoices-heading">Invoices</h2>
      {invoicesError ? (
        <Notice kind="error">The invoices could not be loaded: {invoicesError}</Notice>
      ) : invoices.length === 0 ? (
        <EmptyState title={olderInvoices ? "No older invoices" : "No invoices yet"}>
          <p>
            {billingEnabled
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
  );
}
