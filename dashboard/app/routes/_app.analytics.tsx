import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import type { AnalyticsSummary, Assistant, Channel, Page } from "../../../schema/api";
import { EmptyState, FilterForm, PageHeader, PeriodField } from "../components/ui";
import { api, loaderFailure } from "../lib/auth.server";
import { count, ms, percent, usd } from "../lib/format";
import { PERIODS, periodOf, windowOf } from "../lib/periods";

export const meta: MetaFunction = () => [{ title: "Analytics · EdgeDesk" }];

const CHANNELS: Channel[] = ["web", "api", "slack", "whatsapp", "email"];

export async function loader(args: LoaderFunctionArgs) {
  const period = periodOf(new URL(args.request.url).searchParams.get("period"));
  const { from, to } = windowOf(period);
  try {
    const assistants = (await api<Page<Assistant>>(args, "GET", "/assistants", { query: { limit: 100 } })).data;
    const summary = (q: Record<string, string>) => api<AnalyticsSummary>(args, "GET", "/analytics/summary", { query: { from, to, ...q } });
    const [byAssistant, byChannel] = await Promise.all([
      Promise.all(assistants.map(async (a) => ({ id: a.id, name: a.name, s: await summary({ assistant_id: a.id }) }))),
      Promise.all(CHANNELS.map(async (c) => ({ channel: c, s: await summary({ channel: c }) }))),
    ]);
    return { period: period.id, byAssistant, byChannel };
  } catch (err) {
    return loaderFailure(err);
  }
}

function Row({ label, s }: { label: string; s: AnalyticsSummary }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="num">{count(s.conversations)}</td>
      <td className="num">{count(s.messages)}</td>
      <td className="num">{percent(s.resolution_rate)}</td>
      <td className="num">{percent(s.escalation_rate)}</td>
      <td className="num">{s.csat_avg ?? "—"}</td>
      <td className="num">{ms(s.latency_ms.p50)}</td>
      <td className="num">{count(s.tokens)}</td>
      <td className="num">{usd(s.estimated_cost_usd)}</td>
    </tr>
  );
}

function Table({ caption, first, rows }: { caption: string; first: string; rows: { key: string; label: string; s: AnalyticsSummary }[] }) {
  return (
    <div className="table-wrap" tabIndex={0} role="region" aria-label={caption}>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{first}</th>
            <th scope="col" className="num">Conversations</th>
            <th scope="col" className="num">Messages</th>
            <th scope="col" className="num">Resolved</th>
            <th scope="col" className="num">Escalated</th>
            <th scope="col" className="num">CSAT</th>
            <th scope="col" className="num">Latency p50</th>
            <th scope="col" className="num">Tokens</th>
            <th scope="col" className="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <Row key={r.key} label={r.label} s={r.s} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function Analytics() {
  const { period, byAssistant, byChannel } = useLoaderData<typeof loader>();
  const gaps = byAssistant.filter((a) => a.s.top_unanswered_questions.length > 0);
  return (
    <>
      <PageHeader title="Analytics" description="Per assistant and per channel, and the questions your knowledge base could not answer." />
      <FilterForm>
        <PeriodField periods={PERIODS} value={period} />
      </FilterForm>
      <h2>By assistant</h2>
      {byAssistant.length === 0 ? (
        <EmptyState title="No assistants yet" />
      ) : (
        <Table caption="Numbers per assistant" first="Assistant" rows={byAssistant.map((a) => ({ key: a.id, label: a.name, s: a.s }))} />
      )}
      <h2>By channel</h2>
      <Table caption="Numbers per channel" first="Channel" rows={byChannel.map((c) => ({ key: c.channel, label: c.channel, s: c.s }))} />
      <h2>Content gaps</h2>
      <p className="muted small">Questions answered with no matching passage, grouped when they ask the same thing. Add articles that answer them.</p>
      {gaps.length === 0 ? (
        <EmptyState title="No unanswered questions in this period" />
      ) : (
        gaps.map((a) => (
          <section key={a.id} className="card" aria-labelledby={`gaps-${a.id}`}>
            <h3 id={`gaps-${a.id}`}>{a.name}</h3>
            <ol>
              {a.s.top_unanswered_questions.map((q) => (
                <li key={q.question}>
                  {q.question} <span className="muted">({q.count}×)</span>
                </li>
              ))}
            </ol>
          </section>
        ))
      )}
    </>
  );
}
