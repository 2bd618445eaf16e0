/**
 * The scheduled alert check: reads the last window's metrics and probes the dependencies,
 * opens alerts that fire and resolves those that cleared (`alert-state.ts` makes each a single
 * notice), and sends the notices (`alert-delivery.ts`). A notice no destination took is put
 * back, so the next run tries again.
 */
import { createLogger } from "../lib/logger";
import { MINUTE_MS } from "../lib/time";
import { createMetricsSink } from "../metrics/create-metrics-sink";
import { flushMetrics } from "../metrics/recorder";
import { ALERT_WINDOW_MINUTES, readAlerts } from "./alert-rules";
import { deliverNotice, hasAlertDestination, noticeOf } from "./alert-delivery";
import { type AlertChange, openAlert, resolveAlert, undoChange } from "./alert-state";
import { dependencyChecks, modelProviderCheck } from "./readiness";

/** What one run saw and did, for the log line and for tests. */
export interface AlertRunReport {
  changes: AlertChange[];
  /** Changes no destination took (put back for the next run). */
  undelivered: string[];
}

/** Checks every alert once, at `now`. */
export async function runAlerts(env: Env, now = new Date()): Promise<AlertRunReport> {
  const logger = createLogger({ component: "alerts" });
  const onFailure = (check: string, error: unknown) => logger.warn("alert probe failed", { check, error });
  await flushMetrics(env);
  const to = now.getTime();
  const [report, checks, model] = await Promise.all([
    // Without the metrics store (D1 down, say) only the probes are judged; the D1 probe says why.
    createMetricsSink(env)
      .report({ from: to - ALERT_WINDOW_MINUTES * MINUTE_MS, to })
      .catch((error: unknown) => {
        logger.error("metrics report failed; judging the probes only", { error });
        return null;
      }),
    dependencyChecks(env, onFailure),
    modelProviderCheck(env, onFailure),
  ]);
  const readings = readAlerts(report, model ? [...checks, model] : checks);

  const changes: AlertChange[] = [];
  for (const reading of readings) {
    if (reading.firing === null) continue;
    try {
      const change = reading.firing ? await openAlert(env.DB, reading.key, reading.summary) : await resolveAlert(env.DB, reading.key, reading.summary);
      if (change) changes.push(change);
    } catch (error) {
      // No state to de-duplicate with (D1 itself failing): a firing alert is sent every run until it is back.
      logger.error("alert state not saved", { alert: reading.key, error });
      if (reading.firing) changes.push({ key: reading.key, state: "opened", summary: reading.summary, opened_at: now.toISOString() });
    }
  }

  const undelivered: string[] = [];
  for (const change of changes) {
    logger.warn(change.state === "opened" ? "alert opened" : "alert resolved", { alert: change.key, summary: change.summary });
    if (!hasAlertDestination(env)) continue;
    const delivered = await deliverNotice(env, noticeOf(change, env, now), (destination, error) =>
      logger.error("alert notice not delivered", { alert: change.key, destination, error }),
    );
    if (!delivered) {
      undelivered.push(change.key);
      await undoChange(env.DB, change).catch((error: unknown) => logger.error("alert state not put back", { alert: change.key, error }));
    }
  }
  return { changes, undelivered };
}
