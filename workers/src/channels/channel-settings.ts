/**
 * Typed, decrypted settings of a workspace's channel integrations, read through the
 * integrations store. Each loader answers null unless the integration is enabled and holds
 * what that use needs, so callers branch on "configured or not" once.
 */
import type { z } from "zod";
import { INTEGRATION_FIELDS } from "../../../schema/api";
import { createDb } from "../storage/db";
import { integrationCredentials } from "./integrations";
import { zendeskBaseUrl } from "./zendesk/client";

type ConfigOf<T extends keyof typeof INTEGRATION_FIELDS> = z.infer<(typeof INTEGRATION_FIELDS)[T]["config"]>;

/** Slack: the bot token and signing secret, and where escalations go. */
export interface SlackSettings {
  botToken: string | null;
  signingSecret: string | null;
  config: ConfigOf<"slack">;
}

/** WhatsApp through Twilio. */
export interface WhatsAppSettings {
  accountSid: string;
  authToken: string;
  fromNumber: string | null;
  config: ConfigOf<"whatsapp">;
}

/** Email through SendGrid. */
export interface EmailSettings {
  apiKey: string | null;
  inboundSecret: string | null;
  config: ConfigOf<"email">;
}

/** Zendesk Support. */
export interface ZendeskSettings {
  baseUrl: string;
  agentEmail: string;
  apiToken: string;
  webhookSecret: string | null;
  config: ConfigOf<"zendesk">;
}

async function load<T extends keyof typeof INTEGRATION_FIELDS>(env: Env, workspaceId: string, type: T) {
  const found = await integrationCredentials(env, createDb(env.DB), workspaceId, type);
  if (!found) return null;
  // Settings were validated when saved; parsing again gives their types and drops anything stale.
  const parsed = INTEGRATION_FIELDS[type].config.safeParse(found.config);
  if (!parsed.success) return null;
  return { config: parsed.data as ConfigOf<T>, secrets: found.secrets };
}

/** Slack settings of the workspace, or null when Slack is not enabled. */
export async function slackSettings(env: Env, workspaceId: string): Promise<SlackSettings | null> {
  const s = await load(env, workspaceId, "slack");
  if (!s) return null;
  return { botToken: s.secrets.bot_token ?? null, signingSecret: s.secrets.signing_secret ?? null, config: s.config };
}

/** WhatsApp settings, or null unless Twilio's account SID and auth token are set. */
export async function whatsAppSettings(env: Env, workspaceId: string): Promise<WhatsAppSettings | null> {
  const s = await load(env, workspaceId, "whatsapp");
  const authToken = s?.secrets.auth_token;
  if (!s || !s.config.account_sid || !authToken) return null;
  return { accountSid: s.config.account_sid, authToken, fromNumber: s.config.from_number ?? null, config: s.config };
}

/** Email settings, or null when email is not enabled. */
export async function emailSettings(env: Env, workspaceId: string): Promise<EmailSettings | null> {
  const s = await load(env, workspaceId, "email");
  if (!s) return null;
  return { apiKey: s.secrets.sendgrid_api_key ?? null, inboundSecret: s.secrets.inbound_secret ?? null, config: s.config };
}

/** Zendesk settings, or null unless an account (subdomain or base URL), agent email and token are set. */
export async function zendeskSettings(env: Env, workspaceId: string): Promise<ZendeskSettings | null> {
  const s = await load(env, workspaceId, "zendesk");
  const apiToken = s?.secrets.api_token;
  if (!s || !apiToken || !s.config.agent_email) return null;
  const baseUrl = s.config.api_base_url || (s.config.subdomain ? zendeskBaseUrl(s.config.subdomain) : null);
  if (!baseUrl) return null;
  return { baseUrl, agentEmail: s.config.agent_email, apiToken, webhookSecret: s.secrets.webhook_secret ?? null, config: s.config };
}

/** HubSpot, the CRM conversations are logged to. */
export interface HubSpotSettings {
  accessToken: string;
  config: ConfigOf<"hubspot">;
}

/** HubSpot settings, or null unless HubSpot is enabled with an access token. */
export async function hubspotSettings(env: Env, workspaceId: string): Promise<HubSpotSettings | null> {
  const s = await load(env, workspaceId, "hubspot");
  const accessToken = s?.secrets.access_token;
  if (!s || !accessToken) return null;
  return { accessToken, config: s.config };
}
