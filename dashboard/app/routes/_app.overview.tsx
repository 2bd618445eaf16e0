import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { useMemo } from "react";
import uplotStyles from "uplot/dist/uPlot.min.css?url";
import type { AnalyticsSummary, Assistant, Page } from "../../../schema/api";
import { TimeChart } from "../components/chart";
import { FilterForm, PageHeader, PeriodField, SelectField } from "../components/ui";
import { api, loaderFailure } from "../lib/auth.server";
import { count, ms, percent, usd } from "../lib/format";
import { PERIODS, periodOf, windowOf } from "../lib/periods";

export const meta: MetaFunction = () => [{ title: "Overview · EdgeDesk" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: uplotStyles }];

export async function loader(args: LoaderFunctionArgs) {
  const url = new URL(args.request.url);
  const period = periodOf(url.searchParams.get("period"));
  const assistantId = url.searchParams.get("assistant_id") || undefined;
  const window = windowOf(period);
  try {
    const summary = (from: string, to: string) =>
      api<AnalyticsSummary>(args, "GET", "/analytics/summary", { query: { from, to, assistant_id: assistantId } });
    const [total, buckets, assistants] = await Promise.all([
      summary(window.from, window.to),
      Promise.all(window.buckets.map((b) => summary(b.from, b.to))),
      api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } }),
    ]);
    return {
      period: period.id,
      assistantId: assistantId ?? "",
      total,
      series: buckets.map((b, i) => ({ at: window.buckets[i]!.from, s: b })),
      assistants: assistants.data.map((a) => ({ id: a.id, name: a.name })),
    };
  } catch (err) {
    return loaderFailure(err);
  }
}

export default function Overview() {
  const { period, assistantId, total, series, assistants } = useLoaderData<typeof loader>();
  const times = useMemo(() => series.map((p) => p.at), [series]);
  const volume = useMemo(
    () => [
      { label: "Conversations", values: series.map((p) => p.s.conversations), color: "#2149b8", bars: true },
      { label: "Messages", values: series.map((p) => p.s.messages), color: "#1e7a3a" },
    ],
    [series],
  );
  const quality = useMemo(
    () => [
      { label: "Resolution rate", values: series.map((p) => p.s.resolution_rate), color: "#1e7a3a", format: percent },
      { label: "Escalation rate", values: series.map((p) => p.s.escalation_rate), color: "#b3261e", format: percent },
    ],
    [series],
  );
  const latency = useMemo(
    () => [
      { label: "p50", values: series.map((p) => p.s.latency_ms.p50), color: "#2149b8", format: ms },
      { label: "p95", values: series.map((p) => p.s.latency_ms.p95), color: "#8a4b00", format: ms },
    ],
    [series],
  );
  const usage = useMemo(
    () => [
      { label: "Tokens", values: series.map((p) => p.s.tokens), color: "#6b3fa0", bars: true },
      { label: "Cost (USD)", values: series.map((p) => p.s.estimated_cost_usd), color: "#8a4b00", format: usd },
    ],
    [series],
  );
  return (
    <>
      <PageHeader title="Overview" description="How your assistants are doing." />
      <FilterForm label="Period">
        <PeriodField periods={PERIODS} value={period} />
        <SelectField label="Assistant" name="assistant_id" defaultValue={assistantId}>
          <option value="">All assistants</option>
          {assistants.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
            </option>
          ))}
        </SelectField>
      </FilterForm>
      <h2 className="visually-hidden">Totals for the period</h2>
      <dl className="stats">
        <Stat label="Conversations" value={count(total.conversations)} id="conversations" />
        <Stat label="Messages" value={count(total.messages)} id="messages" />
        <Stat label="Resolution rate" value={percent(total.resolution_rate)} id="resolution" />
        <Stat label="Escalation rate" value={percent(total.escalation_rate)} id="escalation" />
        <Stat label={`CSAT (${total.csat_responses} ratings)`} value={total.csat_avg === null ? "—" : `${total.csat_avg} / 5`} id="csat" />
        <Stat label="Latency p50 / p95" value={`${ms(total.latency_ms.p50)} / ${ms(total.latency_ms.p95)}`} id="latency" />
        <Stat label="Tokens" value={count(total.tokens)} id="tokens" />
        <Stat label="Estimated cost" value={usd(total.estimated_cost_usd)} id="cost" />
      </dl>
      {total.conversations === 0 && total.messages === 0 ? (
        <p className="notice notice-info">No conversations in this period yet. Open the widget demo or share your widget to see numbers here.</p>
      ) : null}
      <div className="grid">
        <TimeChart title="Conversations and messages" times={times} series={volume} />
        <TimeChart title="Resolution and escalation" times={times} series={quality} />
        <TimeChart title="Answer latency" times={times} series={latency} />
        <TimeChart title="Tokens and cost" times={times} series={usage} />
      </div>
    </>
  );
}

function Stat({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="stat" data-stat={id}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
