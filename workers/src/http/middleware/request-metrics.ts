import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { recordMetric } from "../../metrics/recorder";
import type { AppEnv } from "../app-env";

/** The route label of a request no route answered (404, 405): one label, whatever the path. */
const UNMATCHED = "(unmatched)";

/**
 * Records every request as a metric point: the matched route's pattern (never the raw path, whose
 * ids would make every request its own series), method, status and duration.
 */
export const requestMetrics = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  await next();
  const pattern = routePath(c, -1);
  recordMetric(
    c.env,
    {
      kind: "request",
      at: started,
      route: pattern.includes("*") ? UNMATCHED : pattern,
      method: c.req.method,
      status: c.res.status,
      duration_ms: Date.now() - started,
    },
    (work) => c.executionCtx.waitUntil(work),
  );
});
