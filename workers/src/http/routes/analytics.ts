import { createRoute } from "@hono/zod-openapi";
import { AnalyticsSummaryQuery, AnalyticsSummarySchema } from "../../../../schema/api";
import { analyticsSummary } from "../../analytics/summary";
import { DAY_MS } from "../../lib/time";
import { authenticate } from "../middleware/authenticate";
import { ApiError } from "../../lib/errors";
import { errorResponses, json, router } from "../openapi";

/** Period a summary covers when none is given. */
const DEFAULT_PERIOD_MS = 30 * DAY_MS;
/** Longest period one summary may span: it reads every event of it. */
const MAX_PERIOD_MS = 366 * DAY_MS;

/** Workspace analytics (viewer and up). */
export const analyticsRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/analytics/summary",
    tags: ["analytics"],
    middleware: [authenticate({ minRole: "viewer" })],
    request: { query: AnalyticsSummaryQuery },
    responses: { 200: json(AnalyticsSummarySchema), ...errorResponses(400, 401, 403) },
  }),
  async (c) => {
    const q = c.req.valid("query");
    const to = q.to ?? new Date(Date.now() + 1_000).toISOString();
    const from = q.from ?? new Date(Date.parse(to) - DEFAULT_PERIOD_MS).toISOString();
    if (from >= to) throw new ApiError("invalid_request", "from must be before to", { field: "from" });
    if (Date.parse(to) - Date.parse(from) > MAX_PERIOD_MS) {
      throw new ApiError("invalid_request", "a summary spans at most 366 days", { field: "from" });
    }
    const summary = await analyticsSummary(c.env, c.get("principal").workspaceId, {
      from,
      to,
      assistantId: q.assistant_id,
      channel: q.channel,
    });
    return c.json(summary, 200);
  },
);
