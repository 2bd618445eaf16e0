/**
 * The offline metrics store: one `metric_points` row per point, written in multi-row inserts
 * (the recorder batches them, so a request never waits on D1), read back with SQL aggregates.
 */
import type { SystemHealth } from "../../../schema/api";
import { chunked } from "../lib/chunked";
import type { MetricPoint, MetricsPeriod, MetricsSink } from "./metrics-sink";
import { ms, nearestRank, NO_PERCENTILES, type Percentiles, perMinute, REPORT_ROUTES, share } from "./report-math";

const COLUMNS = ["kind", "at", "name", "detail", "status", "duration_ms", "first_delta_ms", "retrieval_ms", "llm_ms", "tokens"] as const;
const ROWS_PER_INSERT = Math.floor(100 / COLUMNS.length); // D1 binds at most 100 parameters per statement

/** The columns of one point, in `COLUMNS` order. */
function rowOf(p: MetricPoint): (string | number | null)[] {
  switch (p.kind) {
    case "request":
      return [p.kind, p.at, p.route, p.method, p.status, p.duration_ms, null, null, null, null];
    case "message":
      return [p.kind, p.at, p.model, p.status, null, p.latency_ms, p.first_delta_ms, p.retrieval_ms, p.llm_ms, p.tokens];
    case "queue_job":
      return [p.kind, p.at, p.queue, p.outcome, null, p.duration_ms, null, null, null, null];
  }
}

type Kind = MetricPoint["kind"];
type MeasuredColumn = "duration_ms" | "first_delta_ms" | "retrieval_ms" | "llm_ms";

/** Metrics in D1 (`metric_points`). */
export class D1MetricsSink implements MetricsSink {
  readonly kind = "d1" as const;

  constructor(private readonly db: D1Database) {}

  async write(points: readonly MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const statements = chunked(points, ROWS_PER_INSERT).map((slice) =>
      this.db
        .prepare(
          `INSERT INTO metric_points (${COLUMNS.join(", ")}) VALUES ${slice.map(() => `(${COLUMNS.map(() => "?").join(", ")})`).join(", ")}`,
        )
        .bind(...slice.flatMap(rowOf)),
    );
    await this.db.batch(statements);
  }

  async report(period: MetricsPeriod): Promise<SystemHealth> {
    const span = [period.from, period.to] as const;
    const [totals, routes, queues, messages] = await this.db.batch<Record<string, unknown>>([
      this.db
        .prepare("SELECT count(*) AS n, coalesce(sum(status >= 500), 0) AS errors FROM metric_points WHERE kind = 'request' AND at >= ? AND at < ?")
        .bind(...span),
      this.db
        .prepare(
          `SELECT detail AS method, name AS route, count(*) AS n, coalesce(sum(status >= 500), 0) AS errors, avg(duration_ms) AS avg_ms
           FROM metric_points WHERE kind = 'request' AND at >= ? AND at < ?
           GROUP BY detail, name ORDER BY n DESC, name LIMIT ?`,
        )
        .bind(...span, REPORT_ROUTES),
      this.db
        .prepare(
          `SELECT name AS queue, count(*) AS n, coalesce(sum(detail = 'ok'), 0) AS ok, coalesce(sum(detail = 'retry'), 0) AS retried,
             coalesce(sum(detail = 'failed'), 0) AS failed
           FROM metric_points WHERE kind = 'queue_job' AND at >= ? AND at < ? GROUP BY name ORDER BY name`,
        )
        .bind(...span),
      this.db
        .prepare("SELECT count(*) AS n, coalesce(sum(tokens), 0) AS tokens FROM metric_points WHERE kind = 'message' AND at >= ? AND at < ?")
        .bind(...span),
    ]);
    const total = Number(totals?.results[0]?.n ?? 0);
    const errors = Number(totals?.results[0]?.errors ?? 0);
    const answered = Number(messages?.results[0]?.n ?? 0);
    const [requestLatency, firstDelta, messageLatency, retrieval, llm] = await Promise.all([
      this.percentiles("request", "duration_ms", period),
      this.percentiles("message", "first_delta_ms", period),
      this.percentiles("message", "duration_ms", period),
      this.percentiles("message", "retrieval_ms", period),
      this.percentiles("message", "llm_ms", period),
    ]);
    return {
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      source: this.kind,
      requests: { count: total, errors, error_rate: share(errors, total), per_minute: perMinute(total, period), latency_ms: requestLatency },
      routes: (routes?.results ?? []).map((r) => ({
        method: String(r.method),
        route: String(r.route),
        count: Number(r.n),
        errors: Number(r.errors),
        avg_ms: ms(r.avg_ms as number | null),
      })),
      messages: {
        count: answered,
        per_minute: perMinute(answered, period),
        tokens: Number(messages?.results[0]?.tokens ?? 0),
        first_delta_ms: firstDelta,
        latency_ms: messageLatency,
        retrieval_ms: retrieval,
        llm_ms: llm,
      },
      queues: (queues?.results ?? []).map((q) => ({
        queue: String(q.queue),
        jobs: Number(q.n),
        ok: Number(q.ok),
        retried: Number(q.retried),
        failed: Number(q.failed),
      })),
    };
  }

  async prune(before: number): Promise<void> {
    await this.db.prepare("DELETE FROM metric_points WHERE at < ?").bind(before).run();
  }

  /** Nearest-rank p50/p95/p99 of one column: a count, then one indexed look-up per rank in one batch. */
  private async percentiles(kind: Kind, column: MeasuredColumn, period: MetricsPeriod): Promise<Percentiles> {
    const where = `kind = ? AND at >= ? AND at < ? AND ${column} IS NOT NULL`;
    const args = [kind, period.from, period.to] as const;
    const counted = await this.db.prepare(`SELECT count(*) AS n FROM metric_points WHERE ${where}`).bind(...args).first<{ n: number }>();
    const n = counted?.n ?? 0;
    if (n === 0) return NO_PERCENTILES;
    const ranks = [0.5, 0.95, 0.99].map((q) => nearestRank(n, q));
    const found = await this.db.batch<{ v: number }>(
      ranks.map((rank) =>
        this.db.prepare(`SELECT ${column} AS v FROM metric_points WHERE ${where} ORDER BY ${column} LIMIT 1 OFFSET ?`).bind(...args, rank),
      ),
    );
    const [p50, p95, p99] = found.map((r) => ms(r.results[0]?.v));
    return { p50: p50 ?? null, p95: p95 ?? null, p99: p99 ?? null };
  }
}
