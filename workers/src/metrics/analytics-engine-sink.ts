/**
 * Metrics in Workers Analytics Engine: one data point per point (`writeDataPoint` does not block
 * and needs no batching), read back through the account's SQL API.
 *
 * Layout of a data point (at most 20 blobs, 20 doubles and one index of 96 bytes; blobs under
 * 16 KB in all): index and blob1 the kind; blob2 the route, model or queue; blob3 the method,
 * answer status or job outcome; double1 the HTTP status; double2 the duration or full latency;
 * double3 first delta; double4 retrieval; double5 model time; double6 tokens. A time not
 * measured is written as -1 and left out of its percentiles.
 */
import type { SystemHealth } from "../../../schema/api";
import type { MetricPoint, MetricsPeriod, MetricsSink } from "./metrics-sink";
import { ms, NO_PERCENTILES, type Percentiles, perMinute, REPORT_ROUTES, share } from "./report-math";

const NOT_MEASURED = -1;
const BLOB_CHARS = 256; // a route, model or queue name is short; a longer one is cut, never refused
const SQL_TIMEOUT_MS = 10_000;

/** Where and how the SQL API is reached. */
export interface SqlApiConfig {
  /** `https://api.cloudflare.com/client/v4` in production. */
  baseUrl: string;
  accountId: string;
  apiToken: string;
  dataset: string;
}

/** The data point of one metric point. */
export function dataPointOf(p: MetricPoint): AnalyticsEngineDataPoint {
  const measured = (v: number | null) => (v === null || !Number.isFinite(v) ? NOT_MEASURED : v);
  const blobs = (...values: (string | null)[]) => values.map((v) => (v ?? "").slice(0, BLOB_CHARS));
  switch (p.kind) {
    case "request":
      return { indexes: [p.kind], blobs: blobs(p.kind, p.route, p.method), doubles: [p.status, p.duration_ms] };
    case "message":
      return {
        indexes: [p.kind],
        blobs: blobs(p.kind, p.model, p.status),
        doubles: [0, measured(p.latency_ms), measured(p.first_delta_ms), measured(p.retrieval_ms), measured(p.llm_ms), p.tokens],
      };
    case "queue_job":
      return { indexes: [p.kind], blobs: blobs(p.kind, p.queue, p.outcome), doubles: [0, p.duration_ms] };
  }
}

/** The ClickHouse `FORMAT JSON` answer of the SQL API (64-bit integers arrive as strings). */
interface SqlAnswer {
  data: Record<string, string | number | null>[];
}

/** A number of an SQL answer: UInt64 comes quoted, an empty quantile as `nan`. */
function num(v: unknown): number {
  const n = typeof v === "number" ? v : Number(v);
  return Number.isFinite(n) ? n : 0;
}

/** A string literal for the dataset's SQL; names are fixed here, but never trust a quote. */
function literal(s: string): string {
  return `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** Analytics Engine date-time of epoch milliseconds (UTC, whole seconds). */
function dateTime(at: number): string {
  return `toDateTime(${literal(new Date(Math.floor(at / 1000) * 1000).toISOString().slice(0, 19).replace("T", " "))})`;
}

/** Metrics through an `analytics_engine_datasets` binding; reports need the SQL API's account and token. */
export class AnalyticsEngineMetricsSink implements MetricsSink {
  readonly kind = "analytics_engine" as const;

  constructor(
    private readonly dataset: AnalyticsEngineDataset,
    private readonly sql: SqlApiConfig | null,
  ) {}

  async write(points: readonly MetricPoint[]): Promise<void> {
    for (const p of points) this.dataset.writeDataPoint(dataPointOf(p));
  }

  async report(period: MetricsPeriod): Promise<SystemHealth> {
    const inPeriod = (kind: MetricPoint["kind"]) => `blob1 = ${literal(kind)} AND timestamp >= ${dateTime(period.from)} AND timestamp < ${dateTime(period.to)}`;
    const weighted = (column: string) =>
      [0.5, 0.95, 0.99].map((q, i) => `quantileExactWeighted(${q})(${column}, _sample_interval) AS p${["50", "95", "99"][i]}`).join(", ");
    const count = "sum(_sample_interval) AS n";
    const errors = "sum(if(double1 >= 500, _sample_interval, 0)) AS errors";
    const timing = async (column: string): Promise<Percentiles> => {
      const [row] = await this.query(`SELECT ${count}, ${weighted(column)} FROM ${this.table} WHERE ${inPeriod("message")} AND ${column} >= 0`);
      return percentilesOf(row);
    };
    const [requestRows, routeRows, queueRows, messageRows, firstDelta, retrieval, llm] = await Promise.all([
      this.query(`SELECT ${count}, ${errors}, ${weighted("double2")} FROM ${this.table} WHERE ${inPeriod("request")}`),
      this.query(
        `SELECT blob3 AS method, blob2 AS route, ${count}, ${errors}, sum(double2 * _sample_interval) / sum(_sample_interval) AS avg_ms ` +
          `FROM ${this.table} WHERE ${inPeriod("request")} GROUP BY method, route ORDER BY n DESC LIMIT ${REPORT_ROUTES}`,
      ),
      this.query(
        `SELECT blob2 AS queue, blob3 AS outcome, ${count} FROM ${this.table} WHERE ${inPeriod("queue_job")} GROUP BY queue, outcome ORDER BY queue`,
      ),
      this.query(
        `SELECT ${count}, sum(double6 * _sample_interval) AS tokens, ${weighted("double2")} FROM ${this.table} WHERE ${inPeriod("message")} AND double2 >= 0`,
      ),
      timing("double3"),
      timing("double4"),
      timing("double5"),
    ]);
    const total = num(requestRows[0]?.n);
    const failed = num(requestRows[0]?.errors);
    const answered = num(messageRows[0]?.n);
    return {
      from: new Date(period.from).toISOString(),
      to: new Date(period.to).toISOString(),
      source: this.kind,
      requests: {
        count: total,
        errors: failed,
        error_rate: share(failed, total),
        per_minute: perMinute(total, period),
        latency_ms: percentilesOf(requestRows[0]),
      },
      routes: routeRows.map((r) => ({ method: String(r.method), route: String(r.route), count: num(r.n), errors: num(r.errors), avg_ms: ms(num(r.avg_ms)) })),
      messages: {
        count: answered,
        per_minute: perMinute(answered, period),
        tokens: Math.round(num(messageRows[0]?.tokens)),
        first_delta_ms: firstDelta,
        latency_ms: percentilesOf(messageRows[0]),
        retrieval_ms: retrieval,
        llm_ms: llm,
      },
      queues: queuesOf(queueRows),
    };
  }

  async prune(): Promise<void> {
    // Analytics Engine keeps data points three months and drops them itself.
  }

  private get table(): string {
    if (!this.sql) throw new Error("reading metrics needs CLOUDFLARE_ACCOUNT_ID and METRICS_API_TOKEN");
    if (!/^\w+$/.test(this.sql.dataset)) throw new Error("METRICS_DATASET must be letters, digits and underscores");
    return this.sql.dataset;
  }

  /** Runs one query on the SQL API; a refusal names its status, never the token. */
  private async query(text: string): Promise<SqlAnswer["data"]> {
    const sql = this.sql;
    if (!sql) throw new Error("reading metrics needs CLOUDFLARE_ACCOUNT_ID and METRICS_API_TOKEN");
    const res = await fetch(`${sql.baseUrl.replace(/\/+$/, "")}/accounts/${encodeURIComponent(sql.accountId)}/analytics_engine/sql`, {
      method: "POST",
      headers: { Authorization: `Bearer ${sql.apiToken}`, "Content-Type": "text/plain" },
      body: `${text} FORMAT JSON`,
      signal: AbortSignal.timeout(SQL_TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`Analytics Engine SQL API answered ${res.status}`);
    const body = (await res.json()) as Partial<SqlAnswer>;
    return Array.isArray(body.data) ? body.data : [];
  }
}

/** p50/p95/p99 of a row holding `n`, `p50`, `p95`, `p99`; nothing when it counted none. */
function percentilesOf(row: Record<string, unknown> | undefined): Percentiles {
  if (!row || num(row.n) === 0) return NO_PERCENTILES;
  return { p50: ms(num(row.p50)), p95: ms(num(row.p95)), p99: ms(num(row.p99)) };
}

/** Queue rows by (queue, outcome) folded into one row per queue. */
function queuesOf(rows: Record<string, unknown>[]): SystemHealth["queues"] {
  const byQueue = new Map<string, SystemHealth["queues"][number]>();
  for (const r of rows) {
    const queue = String(r.queue);
    const entry = byQueue.get(queue) ?? { queue, jobs: 0, ok: 0, retried: 0, failed: 0 };
    const n = num(r.n);
    entry.jobs += n;
    if (r.outcome === "ok") entry.ok += n;
    else if (r.outcome === "retry") entry.retried += n;
    else if (r.outcome === "failed") entry.failed += n;
    byQueue.set(queue, entry);
  }
  return [...byQueue.values()];
}
