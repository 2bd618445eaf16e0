/**
 * The scheduled handler's data-rights work, run every cron tick: retention, erasure of closed
 * workspaces, and the second sweep of recent visitor erasures. Each step runs even when
 * another fails, and each is bounded, so a backlog is worked off over several runs.
 */
import { createLogger } from "../lib/logger";
import { enforceRetention } from "./retention";
import { runErasureFollowups } from "./visitor-data";
import { eraseClosedWorkspaces } from "./workspace-erasure";

/** What one run did, for the log line and for tests. */
export interface HousekeepingReport {
  expired_conversations: number;
  erased_workspaces: number;
  erasure_followups: number;
  failures: string[];
}

/** Runs every housekeeping step once. */
export async function runHousekeeping(env: Env, now = new Date()): Promise<HousekeepingReport> {
  const logger = createLogger({ component: "housekeeping" });
  const report: HousekeepingReport = { expired_conversations: 0, erased_workspaces: 0, erasure_followups: 0, failures: [] };
  const step = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      report.failures.push(name);
      logger.error("housekeeping step failed", { step: name, error: err });
    }
  };
  await step("retention", async () => {
    report.expired_conversations = await enforceRetention(env, now);
  });
  await step("workspace_erasure", async () => {
    report.erased_workspaces = await eraseClosedWorkspaces(env);
  });
  await step("erasure_followups", async () => {
    report.erasure_followups = await runErasureFollowups(env, now);
  });
  logger.info("housekeeping done", { ...report });
  return report;
}
