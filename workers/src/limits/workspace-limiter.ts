import type { Plan } from "../billing/plans";
import { forgetWorkspacePlan } from "../billing/workspace-plan";
import { createLogger } from "../lib/logger";
import type { ChecksByPlan, SubjectWindows } from "./rate-limiter-do";

/**
 * The `RateLimiterDO` that holds one workspace's shared counters: the socket message limits of
 * its conversations and visitors (`socket-limits.ts`) and its model-token budget
 * (`model-budget.ts`). One object per workspace, so a socket message is checked against
 * all of them in a single call. It also keeps a copy of the workspace's plan
 * (`hitManyForPlan`), so that a message costs no D1 read for it.
 */
export function workspaceLimiter(env: Pick<Env, "RATE_LIMITER">, workspaceId: string) {
  return env.RATE_LIMITER.getByName(`workspace:${workspaceId}`);
}

/** The checks of one call for every plan (and for an unknown workspace, `null`), as `hitManyForPlan` takes them. */
export function checksByPlan(checksFor: (plan: Plan | null) => SubjectWindows[]): ChecksByPlan {
  return { starter: checksFor("starter"), pro: checksFor("pro"), enterprise: checksFor("enterprise"), unknown: checksFor(null) };
}

const logger = createLogger({ component: "limits.workspace-plan" });

/**
 * Tells the places that keep a copy of a workspace's plan that it changed (the Stripe webhook
 * after it applied an event): its limiter object and this isolate. The next message reads the
 * new plan. A failure is logged, not thrown: the copies expire within a minute anyway.
 */
export async function workspacePlanChanged(env: Pick<Env, "RATE_LIMITER">, workspaceId: string): Promise<void> {
  forgetWorkspacePlan(workspaceId);
  try {
    await workspaceLimiter(env, workspaceId).forgetPlan();
  } catch (err) {
    logger.warn("limiter's copy of the plan not dropped; it expires within a minute", { workspace_id: workspaceId, error: err });
  }
}
