import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import type { SystemHealth } from "../../../schema/api";
import { EmptyState, FilterForm, PageHeader, PeriodField } from "../components/ui";
import { ApiFailure } from "../lib/api.server";
import { api, loaderFailure, requireRole } from "../lib/auth.server";
import { count, ms, percent } from "../lib/format";

export const meta: MetaFunction = () => [{ title: "System health · EdgeDesk" }];

/** Periods a report may cover (the API allows at most 31 days). */
const PERIODS = [
  { id: "15m", label: "Last 15 minutes", ms: 15 * 60_000 },
  { id: "1h", label: "Last hour", ms: 3_600_000 },
  { id: "24h", label: "Last 24 hours", ms: 86_400_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
] as const;

export async function loader(args: LoaderFunctionArgs) {
  await requireRole(args, "admin");
  const asked = new URL(args.request.url).searchParams.get("period");
  const period = PERIODS.find((p) => p.id === asked) ?? PERIODS[1];
  const to = Date.now() + 1_000;
  try {
    const report = await api<SystemHealth>(args, "GET", "/analytics/system", {
      query: { from: new Date(to - period.ms).toISOString(), to: new Date(to).toISOString() },
    });
    return { period: period.id, report };
  } catch (err) {
    // Another workspace than the operator's: the API says the route does not exist for it.
    if (err instanceof ApiFailure && err.status === 404) return { period: period.id, report: null };
    return loaderFailure(err);
  }
}

type Percentiles = SystemHealth["requests"]["latency_ms"];

function TimingRow({ label, p }: { label: string; p: Percentiles }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num">{ms(p.p50)}</td>
      <td className="num">{ms(p.p95)}</td>
      <td className="num">{ms(p.p99)}</td>
    </tr>
  );
}

/** A table in a scrollable region, named once for both. */
function Region({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={label}>
      <table>
        <caption className="visually-hidden">{label}</caption>
        {children}
      </table>
    </div>
  );
}

export default function SystemHealthPage() {
  const { period, report } = useLoaderData<typeof loader>();
  if (!report) {
    return (
      <>
        <PageHeader title="System health" />
        <EmptyState title="Only for the deployment's operator">
          The health of the whole deployment is shown to the admins of the operator's workspace, the one named by{" "}
          <code>OPERATOR_WORKSPACE_ID</code>.
        </EmptyState>
      </>
    );
  }
  const { requests, messages } = report;
  return (
    <>
      <PageHeader
        title="System health"
        description={`The whole deployment, every workspace: requests, answers and queue jobs (from ${report.source === "d1" ? "D1" : "Analytics Engine"}).`}
      />
      <FilterForm>
        <PeriodField periods={PERIODS} value={period} />
      </FilterForm>

      <h2>Traffic</h2>
      <dl className="stats">
        <div className="stat">
          <dt>Requests</dt>
          <dd>{count(requests.count)}</dd>
        </div>
        <div className="stat">
          <dt>Requests per minute</dt>
          <dd>{requests.per_minute}</dd>
        </div>
        <div className="stat">
          <dt>Error rate (5xx)</dt>
          <dd>
            {percent(requests.error_rate)} <span className="muted small">({count(requests.errors)})</span>
          </dd>
        </div>
        <div className="stat">
          <dt>Answers</dt>
          <dd>{count(messages.count)}</dd>
        </div>
        <div className="stat">
          <dt>Answers per minute</dt>
          <dd>{messages.per_minute}</dd>
        </div>
        <div className="stat">
          <dt>Tokens</dt>
          <dd>{count(messages.tokens)}</dd>
        </div>
      </dl>

      <h2>Timings</h2>
      <Region label="Timings in milliseconds at the 50th, 95th and 99th percentiles">
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col" className="num">p50</th>
            <th scope="col" className="num">p95</th>
            <th scope="col" className="num">p99</th>
          </tr>
        </thead>
        <tbody>
          <TimingRow label="Request" p={requests.latency_ms} />
          <TimingRow label="Answer: first text" p={messages.first_delta_ms} />
          <TimingRow label="Answer: complete" p={messages.latency_ms} />
          <TimingRow label="Answer: retrieval" p={messages.retrieval_ms} />
          <TimingRow label="Answer: model" p={messages.llm_ms} />
        </tbody>
      </Region>

      <h2>Busiest routes</h2>
      {report.routes.length === 0 ? (
        <EmptyState title="No requests in this period" />
      ) : (
        <Region label="Busiest routes, most requests first">
          <thead>
            <tr>
              <th scope="col">Route</th>
              <th scope="col" className="num">Requests</th>
              <th scope="col" className="num">5xx</th>
              <th scope="col" className="num">Average</th>
            </tr>
          </thead>
          <tbody>
            {report.routes.map((r) => (
              <tr key={`${r.method} ${r.route}`}>
                <th scope="row">
                  <code>
                    {r.method} {r.route}
                  </code>
                </th>
                <td className="num">{count(r.count)}</td>
                <td className="num">{count(r.errors)}</td>
                <td className="num">{ms(r.avg_ms)}</td>
              </tr>
            ))}
          </tbody>
        </Region>
      )}

      <h2>Queue jobs</h2>
      {report.queues.length === 0 ? (
        <EmptyState title="No queue jobs in this period" />
      ) : (
        <Region label="Queue jobs by queue">
          <thead>
            <tr>
              <th scope="col">Queue</th>
              <th scope="col" className="num">Jobs</th>
              <th scope="col" className="num">Handled</th>
              <th scope="col" className="num">Retried</th>
              <th scope="col" className="num">Failed</th>
            </tr>
          </thead>
          <tbody>
            {report.queues.map((q) => (
              <tr key={q.queue}>
                <th scope="row">
                  <code>{q.queue}</code>
                </th>
                <td className="num">{count(q.jobs)}</td>
                <td className="num">{count(q.ok)}</td>
                <td className="num">{count(q.retried)}</td>
                <td className="num">{count(q.failed)}</td>
              </tr>
            ))}
          </tbody>
        </Region>
      )}
    </>
  );
}
