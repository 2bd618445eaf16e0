/**
 * Per-workspace settings of the channels and services a workspace connects (Slack, WhatsApp,
 * email, Zendesk, Stripe, Notion). Settings are plain JSON; credentials are sealed with the
 * deployment's encryption keys and never leave the Worker once written.
 */
import { eq } from "drizzle-orm";
import type { ZodError } from "zod";
import { INTEGRATION_FIELDS, IntegrationTypeSchema, type Integration, type IntegrationType } from "../../../schema/api";
import { findIntegrationRow, integrationSealContext, openIntegrationSecrets, type IntegrationRow } from "../auth/integration-secrets";
import { seal } from "../auth/secret-box";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { outboundPolicy, outboundRefusal, type OutboundPolicy } from "../lib/network-policy";
import { nowIso } from "../lib/time";
import { zodIssues } from "../lib/zod-issues";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { zendeskBaseUrl } from "./zendesk/client";

const { integrations } = schema;
type KeyEnv = Pick<Env, "ENCRYPTION_KEYS" | "ENVIRONMENT">;
/** What saving needs beyond the keys: the outbound policy's settings. */
type SaveEnv = KeyEnv & { ALLOW_PRIVATE_FETCH?: string | undefined };

/** Every integration type, in the order the dashboard lists them. */
export const INTEGRATION_TYPES = IntegrationTypeSchema.options;

/** The secret field names a type takes. */
export function secretFieldsOf(type: IntegrationType): string[] {
  return Object.keys(INTEGRATION_FIELDS[type].secrets.shape);
}

function toIntegration(type: IntegrationType, row: IntegrationRow | undefined, secretNames: string[]): Integration {
  return {
    type,
    configured: row !== undefined,
    enabled: row?.enabled ?? false,
    config: (row?.config as Record<string, unknown> | undefined) ?? {},
    secrets_set: secretNames.sort(),
    secret_fields: secretFieldsOf(type),
    updated_at: row?.updated_at ?? null,
  };
}

const findRow = findIntegrationRow;
const openSecrets = openIntegrationSecrets;

/** A zod failure of a nested part, reported as a 400 with the part's path in front. */
function invalid(part: "config" | "secrets", err: ZodError): ApiError {
  return new ApiError("invalid_request", "request is invalid", { issues: zodIssues(err, [part]) });
}

/**
 * Refuses settings that would make the Worker call a private or local address: every URL the
 * platform fetches on the workspace's behalf (`api_base_url`, and Zendesk's host from
 * `subdomain`) must be a public internet address.
 */
function assertPublicEndpoints(type: IntegrationType, config: Record<string, unknown>, policy: OutboundPolicy): void {
  const refuse = (field: string, message: string) =>
    new ApiError("invalid_request", `config.${field} cannot be used: ${message}`, {
      issues: [{ path: ["config", field], code: "blocked_destination", message }],
    });
  const base = config.api_base_url;
  if (typeof base === "string" && base !== "") {
    const refusal = outboundRefusal(new URL(base), policy);
    if (refusal) throw refuse("api_base_url", refusal);
  }
  const subdomain = config.subdomain;
  if (type === "zendesk" && typeof subdomain === "string" && subdomain !== "") {
    // `acme` of acme.zendesk.com: anything that changes the host (dots, slashes, ports) is refused.
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(subdomain) || new URL(zendeskBaseUrl(subdomain)).hostname !== `${subdomain.toLowerCase()}.zendesk.com`) {
      throw refuse("subdomain", "must be the Zendesk subdomain alone, like `acme` for acme.zendesk.com");
    }
  }
}

/** The public view of one integration: settings and which secrets are set, never their values. */
export async function getIntegration(env: KeyEnv, db: Db, workspaceId: string, type: IntegrationType): Promise<Integration> {
  const row = await findRow(db, workspaceId, type);
  return toIntegration(type, row, Object.keys(await openSecrets(env, row, workspaceId, type)));
}

/** Every integration type of the workspace, configured or not. */
export async function listIntegrations(env: KeyEnv, db: Db, workspaceId: string): Promise<Integration[]> {
  const rows = await db.select().from(integrations).where(eq(integrations.workspace_id, workspaceId)).all();
  return Promise.all(
    INTEGRATION_TYPES.map(async (type) => {
      const row = rows.find((r) => r.type === type);
      return toIntegration(type, row, Object.keys(await openSecrets(env, row, workspaceId, type)));
    }),
  );
}

/** What `PUT /integrations/:type` asks for. */
export interface IntegrationUpdate {
  enabled?: boolean | undefined;
  config: Record<string, unknown>;
  secrets?: Record<string, unknown> | undefined;
}

/**
 * Saves an integration: `config` replaces the settings, each secret given is set (or cleared
 * with null) and the others are kept. Returns the view and the names of the secrets changed.
 */
export async function saveIntegration(
  env: SaveEnv,
  db: Db,
  workspaceId: string,
  type: IntegrationType,
  update: IntegrationUpdate,
): Promise<{ integration: Integration; secretsChanged: string[] }> {
  const fields = INTEGRATION_FIELDS[type];
  const config = fields.config.safeParse(update.config);
  if (!config.success) throw invalid("config", config.error);
  assertPublicEndpoints(type, config.data as Record<string, unknown>, outboundPolicy(env));
  const secrets = fields.secrets.safeParse(update.secrets ?? {});
  if (!secrets.success) throw invalid("secrets", secrets.error);

  const row = await findRow(db, workspaceId, type);
  const stored = await openSecrets(env, row, workspaceId, type);
  const changed: string[] = [];
  for (const [name, value] of Object.entries(secrets.data as Record<string, string | null | undefined>)) {
    if (value === undefined) continue;
    if (value === null) {
      if (name in stored) changed.push(name);
      delete stored[name];
    } else {
      if (stored[name] !== value) changed.push(name);
      stored[name] = value;
    }
  }
  const sealed = Object.keys(stored).length > 0 ? await seal(env, JSON.stringify(stored), integrationSealContext(workspaceId, type)) : null;
  const cleanConfig = Object.fromEntries(Object.entries(config.data).filter(([, v]) => v !== undefined && v !== ""));
  const now = nowIso();
  const values = {
    enabled: update.enabled ?? row?.enabled ?? true,
    config: cleanConfig,
    secrets_ciphertext: sealed?.ciphertext ?? null,
    secrets_key_id: sealed?.keyId ?? null,
    updated_at: now,
  };
  const saved = row
    ? await db.update(integrations).set(values).where(eq(integrations.id, row.id)).returning().get()
    : await db
        .insert(integrations)
        .values({ id: newId("integration"), workspace_id: workspaceId, type, ...values, created_at: now })
        .onConflictDoUpdate({ target: [integrations.workspace_id, integrations.type], set: values })
        .returning()
        .get();
  return { integration: toIntegration(type, saved, Object.keys(stored)), secretsChanged: changed.sort() };
}

/** Narrows a path segment to an integration type, or 404 like any unknown resource. */
export function parseIntegrationType(value: string): IntegrationType {
  const parsed = IntegrationTypeSchema.safeParse(value);
  if (!parsed.success) throw new ApiError("not_found", `no integration type ${value}`);
  return parsed.data;
}

/** Settings and opened secrets of an enabled integration (see `auth/integration-secrets.ts`). */
export { integrationCredentials } from "../auth/integration-secrets";
