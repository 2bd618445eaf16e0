/**
 * The scheduled handler's housekeeping, run every cron tick: retention, erasure of closed
 * workspaces, the second sweep of recent visitor erasures, and the recovery of queued work a
 * queue lost (documents stuck in ingestion, escalation notices never sent), and the periodic
 * re-sync of Notion sources, and the deletion of single sign-ons and refresh tokens that
 * expired. Each step runs even when another fails, and each is bounded, so a backlog is worked
 * off over several runs.
 */
import { deleteExpiredRefreshTokens } from "../auth/sessions";
import { deleteExpiredSsoLogins } from "../auth/sso-flow";
import { sweepStuckEscalations } from "../channels/stuck-escalations";
import { queueDueNotionSyncs } from "../knowledge/notion/sources";
import { sweepStuckDocuments } from "../knowledge/stuck-documents";
import { createLogger } from "../lib/logger";
import { createDb } from "../storage/db";
import { enforceRetention } from "./retention";
import { runErasureFollowups } from "./visitor-data";
import { eraseClosedWorkspaces } from "./workspace-erasure";

/** What one run did, for the log line and for tests. */
export interface HousekeepingReport {
  expired_conversations: number;
  erased_workspaces: number;
  erasure_followups: number;
  /** Documents stuck `queued` or `processing` that were sent to ingestion again. */
  requeued_documents: number;
  /** Stuck documents given up on (`failed`) after being sent again too often. */
  failed_stuck_documents: number;
  /** Escalation notices whose outbound job was lost, sent again. */
  requeued_escalations: number;
  /** Notion sources queued for their periodic re-sync. */
  notion_syncs: number;
  /** Single sign-ons deleted once neither their state nor their one-time code could be used. */
  expired_sso_logins: number;
  /** Refresh tokens deleted once past their expiry. */
  expired_refresh_tokens: number;
  failures: string[];
}

/** Runs every housekeeping step once. */
export async function runHousekeeping(env: Env, now = new Date()): Promise<HousekeepingReport> {
  const logger = createLogger({ component: "housekeeping" });
  const report: HousekeepingReport = {
    expired_conversations: 0,
    erased_workspaces: 0,
    erasure_followups: 0,
    requeued_documents: 0,
    failed_stuck_documents: 0,
    requeued_escalations: 0,
    notion_syncs: 0,
    expired_sso_logins: 0,
    expired_refresh_tokens: 0,
    failures: [],
  };
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
  await step("stuck_documents", async () => {
    const outcome = await sweepStuckDocuments(env, now);
    report.requeued_documents = outcome.requeued;
    report.failed_stuck_documents = outcome.failed;
  });
  await step("stuck_escalations", async () => {
    report.requeued_escalations = await sweepStuckEscalations(env, now);
  });
  await step("notion_resync", async () => {
    report.notion_syncs = await queueDueNotionSyncs(env, now);
  });
  await step("expired_sso_logins", async () => {
    report.expired_sso_logins = await deleteExpiredSsoLogins(createDb(env.DB), now);
  });
  await step("expired_refresh_tokens", async () => {
    report.expired_refresh_tokens = await deleteExpiredRefreshTokens(createDb(env.DB), now);
  });
  logger.info("housekeeping done", { ...report });
  return report;
}
