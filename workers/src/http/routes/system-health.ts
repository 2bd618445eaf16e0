import { createRoute } from "@hono/zod-openapi";
import { SystemHealthQuery, SystemHealthSchema } from "../../../../schema/api";
import { isOperatorWorkspace, seesSystemHealth } from "../../auth/operator";
import { ApiError } from "../../lib/errors";
import { DAY_MS, HOUR_MS } from "../../lib/time";
import { createMetricsSink } from "../../metrics/create-metrics-sink";
import { flushMetrics } from "../../metrics/recorder";
import { authenticate } from "../middleware/authenticate";
import { errorResponses, json, router } from "../openapi";

/** Period a report covers when none is given. */
const DEFAULT_PERIOD_MS = HOUR_MS;
/** Longest period one report may span: D1 keeps 30 days, Analytics Engine three months. */
const MAX_PERIOD_MS = 31 * DAY_MS;

/**
 * The deployment's health (every workspace's requests, answers and queue jobs), for the admins
 * of the operator's workspace only. To any other workspace the route does not exist (404);
 * the operator's managers and viewers get 403.
 */
export const systemHealthRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/analytics/system",
    tags: ["analytics"],
    summary: "Request latency, error rate, throughput, answer timings and queue jobs of the whole deployment",
    middleware: [authenticate({ minRole: "viewer" })],
    request: { query: SystemHealthQuery },
    responses: { 200: json(SystemHealthSchema), ...errorResponses(400, 401, 403, 404, 502) },
  }),
  async (c) => {
    const principal = c.get("principal");
    if (!isOperatorWorkspace(c.env, principal.workspaceId)) throw new ApiError("not_found", "no route for GET /api/v1/analytics/system");
    if (!seesSystemHealth(c.env, principal)) throw new ApiError("forbidden", "this action needs the admin role", { required_role: "admin" });
    const q = c.req.valid("query");
    const to = q.to ? Date.parse(q.to) : Date.now() + 1_000;
    const from = q.from ? Date.parse(q.from) : to - DEFAULT_PERIOD_MS;
    if (from >= to) throw new ApiError("invalid_request", "from must be before to", { field: "from" });
    if (to - from > MAX_PERIOD_MS) throw new ApiError("invalid_request", "a report spans at most 31 days", { field: "from" });
    await flushMetrics(c.env);
    try {
      return c.json(await createMetricsSink(c.env).report({ from, to }), 200);
    } catch (err) {
      c.get("logger").error("system health report failed", { error: err });
      throw new ApiError("upstream_error", "the metrics store did not answer");
    }
  },
);
