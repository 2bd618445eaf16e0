/**
 * A workspace's single sign-on settings: read, saved (the client secret sealed with the secret
 * box, write-only), found from a workspace id or an email domain when someone starts signing in,
 * and the rule that refuses password sign-in while SSO is required.
 */
import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { SsoConfig } from "../../../schema/api";
import { ApiError } from "../lib/errors";
import { outboundPolicy, outboundRefusal } from "../lib/network-policy";
import { nowIso } from "../lib/time";
import type { Db } from "../storage/db";
import { schema } from "../storage/db";
import { getWorkspace } from "../tenancy/workspaces";
import { open, seal } from "./secret-box";

const { refresh_tokens, sso_configs, workspaces } = schema;
/** A stored SSO configuration. */
export type SsoConfigRow = typeof sso_configs.$inferSelect;
type KeyEnv = Pick<Env, "ENCRYPTION_KEYS">;
type PolicyEnv = { ENVIRONMENT?: string | undefined; ALLOW_PRIVATE_FETCH?: string | undefined };

/** What `PUT /workspace/sso` asks for (already validated by its schema). */
export interface SsoConfigUpdate {
  enabled: boolean;
  issuer: string;
  client_id: string;
  client_secret?: string | null | undefined;
  allowed_domains: string[];
  default_role: "viewer" | "manager";
  required: boolean;
}

/** Associated data binding the sealed client secret to its workspace. */
function sealContext(workspaceId: string): string {
  return `sso:${workspaceId}`;
}

/** The public view of a workspace's settings; `redirectUri` is where the provider sends users back. */
export function toSsoConfig(row: SsoConfigRow | undefined, redirectUri: string): SsoConfig {
  return {
    configured: row !== undefined,
    enabled: row?.enabled ?? false,
    issuer: row?.issuer ?? null,
    client_id: row?.client_id ?? null,
    client_secret_set: Boolean(row?.client_secret_ciphertext),
    allowed_domains: row?.allowed_domains ?? [],
    default_role: row?.default_role ?? "viewer",
    required: row?.required ?? false,
    break_glass_user_id: row?.required ? (row.break_glass_user_id ?? null) : null,
    redirect_uri: redirectUri,
    updated_at: row?.updated_at ?? null,
  };
}

/** The workspace's stored settings, if any. */
export async function findSsoConfig(db: Db, workspaceId: string): Promise<SsoConfigRow | undefined> {
  return db.select().from(sso_configs).where(eq(sso_configs.workspace_id, workspaceId)).get();
}

/** The client secret in clear, for the token request; null for a public client. */
export async function ssoClientSecret(env: KeyEnv, row: SsoConfigRow): Promise<string | null> {
  if (!row.client_secret_ciphertext || !row.client_secret_key_id) return null;
  return open(env, { keyId: row.client_secret_key_id, ciphertext: row.client_secret_ciphertext }, sealContext(row.workspace_id));
}

/**
 * Refuses an issuer the Worker must not call: not a public address, or plain http outside the
 * local servers the tests allow (providers publish their metadata over https only).
 */
function assertUsableIssuer(env: PolicyEnv, issuer: string): void {
  const url = new URL(issuer);
  const policy = outboundPolicy(env);
  const refuse = (message: string) =>
    new ApiError("invalid_request", `issuer cannot be used: ${message}`, { issues: [{ path: ["issuer"], code: "invalid_issuer", message }] });
  const refusal = outboundRefusal(url, policy);
  if (refusal) throw refuse(refusal);
  if (url.protocol !== "https:" && !policy.allowedPrivateHosts.has(url.host)) throw refuse("the issuer must be an https URL");
  if (url.search || url.hash) throw refuse("the issuer URL has no query or fragment");
}

/**
 * Saves the settings (they replace what was stored; the secret is kept unless given or cleared).
 * `required` needs the enterprise plan; whoever switches it on becomes the break-glass admin.
 * Switching it on ends every other member's sessions (their refresh tokens, as a password change
 * does), so a session opened with a password before does not outlive the rule: they sign in
 * again with SSO. `sessionsEnded` counts the refresh tokens revoked.
 */
export async function saveSsoConfig(
  env: KeyEnv & PolicyEnv,
  db: Db,
  workspaceId: string,
  actingUserId: string | null,
  update: SsoConfigUpdate,
): Promise<{ row: SsoConfigRow; secretChanged: boolean; sessionsEnded: number }> {
  assertUsableIssuer(env, update.issuer);
  const workspace = await getWorkspace(db, workspaceId);
  if (update.required && workspace.plan !== "enterprise") {
    throw new ApiError("payment_required", "requiring SSO for every member needs the enterprise plan", { field: "required", plan: workspace.plan });
  }
  if (update.required && !actingUserId) {
    throw new ApiError("forbidden", "only a signed-in admin can require SSO: they keep password sign-in as the break-glass account");
  }
  const existing = await findSsoConfig(db, workspaceId);
  let secret = { ciphertext: existing?.client_secret_ciphertext ?? null, keyId: existing?.client_secret_key_id ?? null };
  let secretChanged = false;
  if (update.client_secret === null) {
    secretChanged = secret.ciphertext !== null;
    secret = { ciphertext: null, keyId: null };
  } else if (update.client_secret !== undefined) {
    const sealed = await seal(env, update.client_secret, sealContext(workspaceId));
    secret = { ciphertext: sealed.ciphertext, keyId: sealed.keyId };
    secretChanged = true;
  }
  const breakGlass = !update.required ? null : existing?.required ? (existing.break_glass_user_id ?? actingUserId) : actingUserId;
  const values = {
    enabled: update.enabled,
    issuer: update.issuer.replace(/\/+$/, ""),
    client_id: update.client_id,
    client_secret_ciphertext: secret.ciphertext,
    client_secret_key_id: secret.keyId,
    allowed_domains: [...new Set(update.allowed_domains)].sort(),
    default_role: update.default_role,
    required: update.required,
    break_glass_user_id: breakGlass,
    updated_at: nowIso(),
  };
  const row = await db
    .insert(sso_configs)
    .values({ workspace_id: workspaceId, ...values })
    .onConflictDoUpdate({ target: sso_configs.workspace_id, set: values })
    .returning()
    .get();
  if (!requiresSso(row) || requiresSso(existing) || !breakGlass) return { row, secretChanged, sessionsEnded: 0 };
  const ended = await db
    .update(refresh_tokens)
    .set({ revoked_at: nowIso() })
    .where(and(eq(refresh_tokens.workspace_id, workspaceId), isNull(refresh_tokens.revoked_at), ne(refresh_tokens.user_id, breakGlass)))
    .returning({ id: refresh_tokens.id })
    .all();
  return { row, secretChanged, sessionsEnded: ended.length };
}

/** The enabled configuration of a live workspace, or a 404 that does not say which part is missing. */
export async function ssoConfigForWorkspace(db: Db, workspaceId: string): Promise<SsoConfigRow> {
  const row = await db
    .select({ config: sso_configs })
    .from(sso_configs)
    .innerJoin(workspaces, eq(workspaces.id, sso_configs.workspace_id))
    .where(and(eq(sso_configs.workspace_id, workspaceId), eq(sso_configs.enabled, true), sql`${workspaces.deleted_at} is null`))
    .get();
  if (!row) throw new ApiError("not_found", "no workspace with single sign-on matches; check the workspace id or email domain");
  return row.config;
}

/**
 * The enabled configuration that lists `domain`. A domain claimed by several workspaces is a 409:
 * the person must say which workspace they mean (by its id).
 */
export async function ssoConfigForDomain(db: Db, domain: string): Promise<SsoConfigRow> {
  const rows = await db
    .select({ config: sso_configs })
    .from(sso_configs)
    .innerJoin(workspaces, eq(workspaces.id, sso_configs.workspace_id))
    .where(
      and(
        eq(sso_configs.enabled, true),
        sql`${workspaces.deleted_at} is null`,
        sql`exists (select 1 from json_each(${sso_configs.allowed_domains}) where json_each.value = ${domain})`,
      ),
    )
    .limit(2)
    .all();
  if (rows.length === 0) throw new ApiError("not_found", "no workspace with single sign-on matches; check the workspace id or email domain");
  if (rows.length > 1) {
    throw new ApiError("conflict", "several workspaces use single sign-on for this domain; sign in with your workspace id instead", { reason: "ambiguous_domain" });
  }
  return rows[0]!.config;
}

/** Whether settings switch "SSO required" on: enabled and required (the plan is checked apart). */
function requiresSso(config: SsoConfigRow | null | undefined): config is SsoConfigRow {
  return Boolean(config?.enabled && config.required);
}

/**
 * Throws when `user` may not sign in with a password because their workspace requires SSO. The
 * rule holds only while the workspace is on the enterprise plan; the break-glass admin is exempt
 * so a broken provider never locks the workspace out.
 */
export async function assertPasswordSignInAllowed(db: Db, user: { id: string; workspace_id: string }): Promise<void> {
  const config = await findSsoConfig(db, user.workspace_id);
  if (!requiresSso(config) || config.break_glass_user_id === user.id) return;
  const workspace = await getWorkspace(db, user.workspace_id);
  if (workspace.plan !== "enterprise") return;
  throw new ApiError("forbidden", "this workspace requires single sign-on: use “Sign in with SSO” instead of a password", {
    reason: "sso_required",
    workspace_id: user.workspace_id,
  });
}
