/**
 * Records metric points without slowing what they measure. Analytics Engine takes each point at
 * once (its writes do not block); for D1 the points wait in this isolate's memory and go out
 * in one batch when enough have gathered or the oldest has waited long enough, after the
 * response, through `waitUntil`. Points still held when an isolate is evicted are lost: a
 * metric is a sample, never worth a write on the request's path.
 */
import { createLogger } from "../lib/logger";
import { createMetricsSink } from "./create-metrics-sink";
import type { MetricPoint } from "./metrics-sink";
import type { WaitUntil } from "../lib/wait-until";

const FLUSH_POINTS = 50; // one batch of multi-row inserts
const FLUSH_AFTER_MS = 10_000; // the oldest held point waits at most this long for the next request

let held: MetricPoint[] = [];
let oldestAt = 0;


/** Records one point: at once for Analytics Engine, batched for D1. */
export function recordMetric(env: Env, point: MetricPoint, waitUntil: WaitUntil): void {
  const sink = createMetricsSink(env);
  if (sink.kind !== "d1") {
    waitUntil(writeQuietly(env, [point]));
    return;
  }
  if (held.length === 0) oldestAt = Date.now();
  held.push(point);
  if (held.length >= FLUSH_POINTS || Date.now() - oldestAt >= FLUSH_AFTER_MS) waitUntil(flushMetrics(env));
}

/** Writes every point this isolate holds now (before a report or an alert check reads them). */
export async function flushMetrics(env: Env): Promise<void> {
  if (held.length === 0) return;
  const batch = held;
  held = [];
  await writeQuietly(env, batch);
}

/** Writes points now, for callers that already batch (queue consumers): a failure is logged, never thrown. */
export async function writeMetrics(env: Env, points: readonly MetricPoint[]): Promise<void> {
  await writeQuietly(env, points);
}

async function writeQuietly(env: Env, points: readonly MetricPoint[]): Promise<void> {
  try {
    await createMetricsSink(env).write(points);
  } catch (err) {
    createLogger().warn("metric points lost", { error: err, points: points.length });
  }
}
