/**
 * Reading a workspace's integration row and opening its sealed secrets: shared by the channels
 * that send through a provider and the knowledge sources that read from one (Notion), so the
 * sealing context lives in one place.
 */
import { and, eq } from "drizzle-orm";
import type { IntegrationType } from "../../../schema/api";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { open } from "./secret-box";

const { integrations } = schema;

/** One stored integration. */
export type IntegrationRow = typeof integrations.$inferSelect;
type KeyEnv = Pick<Env, "ENCRYPTION_KEYS" | "ENVIRONMENT">;

/** Associated data binding a sealed value to its workspace and type. */
export function integrationSealContext(workspaceId: string, type: IntegrationType): string {
  return `integration:${workspaceId}:${type}`;
}

/** The workspace's row of an integration type, if it was ever saved. */
export async function findIntegrationRow(db: Db, workspaceId: string, type: IntegrationType): Promise<IntegrationRow | undefined> {
  return db
    .select()
    .from(integrations)
    .where(and(eq(integrations.workspace_id, workspaceId), eq(integrations.type, type)))
    .get();
}

/** The secrets of a row, opened; empty when none were set. */
export async function openIntegrationSecrets(
  env: KeyEnv,
  row: IntegrationRow | undefined,
  workspaceId: string,
  type: IntegrationType,
): Promise<Record<string, string>> {
  if (!row?.secrets_ciphertext || !row.secrets_key_id) return {};
  const text = await open(env, { keyId: row.secrets_key_id, ciphertext: row.secrets_ciphertext }, integrationSealContext(workspaceId, type));
  return JSON.parse(text) as Record<string, string>;
}

/**
 * Settings and opened secrets of an enabled integration, for the code that calls the
 * service; null when the workspace has not set it up or switched it off.
 */
export async function integrationCredentials(env: KeyEnv, db: Db, workspaceId: string, type: IntegrationType) {
  const row = await findIntegrationRow(db, workspaceId, type);
  if (!row || !row.enabled) return null;
  return { config: row.config as Record<string, unknown>, secrets: await openIntegrationSecrets(env, row, workspaceId, type) };
}
