import { createMiddleware } from "hono/factory";
import { meterApiCall } from "../../billing/api-call-meter";
import { createDb } from "../../storage/db";
import type { AppEnv } from "../app-env";

/**
 * Counts the workspace's API calls for the billing page: calls made with API keys, widget keys
 * and conversation tokens that were let through (the same calls the plan's quota is about;
 * the dashboard's own calls and refused calls are not counted). The count is written in a batch
 * after the response (`billing/api-call-meter.ts`), so it never slows a call down.
 */
export const usageMeter = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  const principal = c.get("principal");
  if (!principal || principal.kind === "user" || c.res.status === 429 || c.res.status === 401) return;
  meterApiCall(createDb(c.env.DB), principal.workspaceId, (work) => c.executionCtx.waitUntil(work));
});
