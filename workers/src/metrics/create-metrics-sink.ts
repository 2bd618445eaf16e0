import { AnalyticsEngineMetricsSink } from "./analytics-engine-sink";
import { D1MetricsSink } from "./d1-metrics-sink";
import type { MetricsSink } from "./metrics-sink";

/** Cloudflare's API, where the Analytics Engine SQL API lives. */
const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";
/** The dataset the `METRICS` binding writes to unless `METRICS_DATASET` names another. */
export const DEFAULT_METRICS_DATASET = "edgedesk_metrics";

/**
 * The metrics sink this deployment is configured for: Workers Analytics Engine when the
 * `METRICS` binding exists (reports then read its SQL API with `CLOUDFLARE_ACCOUNT_ID` and
 * `METRICS_API_TOKEN`), D1 otherwise (the offline default).
 */
export function createMetricsSink(env: Env): MetricsSink {
  if (env.METRICS) {
    const sql =
      env.CLOUDFLARE_ACCOUNT_ID && env.METRICS_API_TOKEN
        ? {
            baseUrl: env.METRICS_SQL_API_BASE || CLOUDFLARE_API,
            accountId: env.CLOUDFLARE_ACCOUNT_ID,
            apiToken: env.METRICS_API_TOKEN,
            dataset: env.METRICS_DATASET || DEFAULT_METRICS_DATASET,
          }
        : null;
    return new AnalyticsEngineMetricsSink(env.METRICS, sql);
  }
  return new D1MetricsSink(env.DB);
}
