/**
 * Where the deployment's own health is measured: every request, answered message and queue job
 * as one point. Workers Analytics Engine in production, D1 offline (`create-metrics-sink.ts`).
 */
import type { SystemHealth } from "../../../schema/api";

/** One request the Worker answered. */
export interface RequestPoint {
  kind: "request";
  /** Epoch milliseconds. */
  at: number;
  /** The route's pattern (`/api/v1/conversations/:id`), never the raw path: ids would explode the cardinality. */
  route: string;
  method: string;
  status: number;
  duration_ms: number;
}

/** One answered visitor message, with where its time went. */
export interface MessagePoint {
  kind: "message";
  at: number;
  model: string | null;
  /** `complete`, `stopped` or `failed`. */
  status: string;
  /** From the question to the stored answer. */
  latency_ms: number | null;
  /** From the question to the first streamed text. */
  first_delta_ms: number | null;
  retrieval_ms: number | null;
  /** From the first model call to its last token. */
  llm_ms: number | null;
  tokens: number;
}

/** How one queue job ended: handled, handed back for a retry, or failed for good (dead letter). */
export type JobOutcome = "ok" | "retry" | "failed";

/** One queue message handled by a consumer. */
export interface QueueJobPoint {
  kind: "queue_job";
  at: number;
  queue: string;
  outcome: JobOutcome;
  duration_ms: number;
}

/** Anything the sink records. */
export type MetricPoint = RequestPoint | MessagePoint | QueueJobPoint;

/** The period a report covers, as epoch milliseconds, `[from, to)`. */
export interface MetricsPeriod {
  from: number;
  to: number;
}

/** The seam between the Worker and the metrics store. */
export interface MetricsSink {
  readonly kind: SystemHealth["source"];
  /** Stores points; a failure loses them (metrics are never worth failing a request over). */
  write(points: readonly MetricPoint[]): Promise<void>;
  /** The deployment's health over `period`. */
  report(period: MetricsPeriod): Promise<SystemHealth>;
  /** Drops points older than `before` where the store keeps them itself (D1); a no-op elsewhere. */
  prune(before: number): Promise<void>;
}
