import { terms } from "../llm/terms";
import { createAnalyticsSink } from "./create-sink";
import type { AnalyticsEvent } from "./sink";

/** Unanswered questions listed in a summary, most frequent first. */
const TOP_UNANSWERED = 10;

/** What the summary covers. */
export interface SummaryQuery {
  from: string;
  to: string;
  assistantId?: string | undefined;
  channel?: string | undefined;
}

/** Numbers of `GET /analytics/summary`. */
export interface AnalyticsSummary {
  from: string;
  to: string;
  conversations: number;
  messages: number;
  resolution_rate: number | null;
  escalation_rate: number | null;
  csat_avg: number | null;
  csat_responses: number;
  latency_ms: { p50: number | null; p95: number | null; p99: number | null };
  tokens: number;
  estimated_cost_usd: number;
  top_unanswered_questions: { question: string; count: number }[];
}

/** The `q`-quantile (0..1) of sorted numbers, nearest-rank; null for none. */
export function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Groups questions that differ only in case, punctuation, stopwords or word endings. */
function questionKey(question: string): string {
  return [...new Set(terms(question))].sort().join(" ");
}

/** Summarises a workspace's events in `[from, to)`. */
export function summarise(events: AnalyticsEvent[], q: SummaryQuery): AnalyticsSummary {
  const scoped = events.filter(
    (e) => (!q.assistantId || e.assistant_id === q.assistantId) && (!q.channel || e.channel === q.channel),
  );
  const convsWith = (type: string) => new Set(scoped.filter((e) => e.type === type).map((e) => e.conversation_id));
  const created = convsWith("conversation.created");
  const resolved = convsWith("conversation.resolved");
  const escalated = convsWith("conversation.escalated");
  const answered = scoped.filter((e) => e.type === "message.answered" || e.type === "completion.answered");
  const latencies = answered.flatMap((e) => (typeof e.latency_ms === "number" ? [e.latency_ms] : [])).sort((a, b) => a - b);

  // The latest rating of each conversation counts once.
  const ratings = new Map<string, number>();
  for (const e of scoped.filter((x) => x.type === "satisfaction.submitted").sort((a, b) => a.created_at.localeCompare(b.created_at))) {
    const score = e.properties?.score;
    if (typeof score === "number") ratings.set(e.conversation_id ?? e.id, score);
  }

  const unanswered = new Map<string, { count: number; example: string }>();
  for (const e of answered) {
    const question = e.properties?.question;
    if (e.properties?.no_match !== true || typeof question !== "string") continue;
    const key = questionKey(question) || question.toLowerCase();
    const entry = unanswered.get(key) ?? { count: 0, example: question };
    entry.count += 1;
    unanswered.set(key, entry);
  }

  const rate = (part: Set<unknown>) => (created.size === 0 ? null : round(Math.min(1, part.size / created.size), 4));
  const csatValues = [...ratings.values()];
  return {
    from: q.from,
    to: q.to,
    conversations: created.size,
    messages: scoped.filter((e) => e.type === "message.received" || e.type === "agent.replied").length + answered.length,
    resolution_rate: rate(resolved),
    escalation_rate: rate(escalated),
    csat_avg: csatValues.length === 0 ? null : round(csatValues.reduce((a, b) => a + b, 0) / csatValues.length, 2),
    csat_responses: csatValues.length,
    latency_ms: { p50: quantile(latencies, 0.5), p95: quantile(latencies, 0.95), p99: quantile(latencies, 0.99) },
    tokens: answered.reduce((sum, e) => sum + (e.tokens ?? 0), 0),
    estimated_cost_usd: round(answered.reduce((sum, e) => sum + (e.cost_usd ?? 0), 0), 6),
    top_unanswered_questions: [...unanswered.values()]
      .sort((a, b) => b.count - a.count || a.example.localeCompare(b.example))
      .slice(0, TOP_UNANSWERED)
      .map((u) => ({ question: u.example, count: u.count })),
  };
}

/** Reads the events of the window from the analytics sink and summarises them. */
export async function analyticsSummary(env: Env, workspaceId: string, q: SummaryQuery): Promise<AnalyticsSummary> {
  const events = await createAnalyticsSink(env).listEvents(workspaceId, q.from, q.to);
  return summarise(events, q);
}
