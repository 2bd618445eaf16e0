/**
 * "Test connection" for each integration: the provider's cheapest authenticated call with the
 * stored credentials (Slack `auth.test`, Twilio account fetch, SendGrid scopes, Zendesk
 * `users/me`, HubSpot account details, Notion `users/me`), reported as ok or not with a reason an admin can act on.
 */
import type { IntegrationTest, IntegrationType } from "../../../schema/api";
import { checkNotionConnection } from "../knowledge/notion/client";
import { ApiError } from "../lib/errors";
import { outboundPolicy } from "../lib/network-policy";
import { nowIso } from "../lib/time";
import { createDb } from "../storage/db";
import { emailSettings, hubspotSettings, slackSettings, whatsAppSettings, zendeskSettings } from "./channel-settings";
import { SendGridClient } from "./email/client";
import { HubSpotClient } from "./hubspot/client";
import { BLOCKED_DESTINATION, ProviderError } from "./provider-error";
import { SlackClient } from "./slack/client";
import { TwilioClient } from "./whatsapp/client";
import { ZendeskClient } from "./zendesk/client";

/** The result before it is stamped. */
type Check = { ok: boolean; detail: string };

const NOT_CONFIGURED = (what: string): Check => ({ ok: false, detail: `not configured: ${what}` });

async function check(env: Env, workspaceId: string, type: IntegrationType): Promise<Check> {
  const policy = outboundPolicy(env);
  switch (type) {
    case "slack": {
      const s = await slackSettings(env, workspaceId);
      if (!s?.botToken) return NOT_CONFIGURED("enable Slack and set bot_token");
      const me = await new SlackClient(s.botToken, { baseUrl: s.config.api_base_url, policy }).authTest();
      if (s.config.team_id && s.config.team_id !== me.team_id) {
        return { ok: false, detail: `the token belongs to team ${me.team_id}, not ${s.config.team_id}` };
      }
      return { ok: true, detail: `authenticated to ${me.team} (${me.team_id}) as ${me.user_id}` };
    }
    case "whatsapp": {
      const s = await whatsAppSettings(env, workspaceId);
      if (!s) return NOT_CONFIGURED("enable WhatsApp and set account_sid and auth_token");
      const account = await new TwilioClient(s.accountSid, s.authToken, { baseUrl: s.config.api_base_url, policy }).fetchAccount();
      return account.status === "active"
        ? { ok: true, detail: `Twilio account ${account.friendly_name} (${account.sid}) is active` }
        : { ok: false, detail: `Twilio account ${account.sid} is ${account.status}` };
    }
    case "email": {
      const s = await emailSettings(env, workspaceId);
      if (!s?.apiKey) return NOT_CONFIGURED("enable email and set sendgrid_api_key");
      const scopes = await new SendGridClient(s.apiKey, { baseUrl: s.config.api_base_url, policy }).scopes();
      return scopes.includes("mail.send")
        ? { ok: true, detail: "the SendGrid API key may send mail" }
        : { ok: false, detail: "the SendGrid API key lacks the mail.send scope" };
    }
    case "zendesk": {
      const s = await zendeskSettings(env, workspaceId);
      if (!s) return NOT_CONFIGURED("enable Zendesk and set subdomain, agent_email and api_token");
      const me = await new ZendeskClient(s.baseUrl, s.agentEmail, s.apiToken, { policy }).me();
      if (me.id === null) return { ok: false, detail: "Zendesk did not accept the agent email and API token" };
      return me.role === "end-user"
        ? { ok: false, detail: `${me.email ?? "the user"} is an end user; tickets need an agent` }
        : { ok: true, detail: `authenticated as ${me.email ?? me.id} (${me.role})` };
    }
    case "hubspot": {
      const s = await hubspotSettings(env, workspaceId);
      if (!s) return NOT_CONFIGURED("enable HubSpot and set access_token");
      const account = await new HubSpotClient(s.accessToken, { baseUrl: s.config.api_base_url, policy }).accountDetails();
      if (s.config.portal_id && s.config.portal_id !== String(account.portalId)) {
        return { ok: false, detail: `the token belongs to HubSpot account ${account.portalId}, not ${s.config.portal_id}` };
      }
      return { ok: true, detail: `authenticated to HubSpot account ${account.portalId}` };
    }
    case "notion":
      return checkNotionConnection(env, createDb(env.DB), workspaceId);
    case "stripe":
      throw new ApiError("not_found", "stripe is checked on the billing page");
  }
}

/** Runs the connection test of `type` for the workspace. */
export async function testConnection(env: Env, workspaceId: string, type: IntegrationType): Promise<IntegrationTest> {
  let result: Check;
  let providerStatus: number | null = null;
  let retryAfter: number | null = null;
  try {
    result = await check(env, workspaceId, type);
    providerStatus = result.ok ? 200 : null;
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    providerStatus = err.status || null;
    retryAfter = err.retryAfterSeconds;
    const why =
      err.code === BLOCKED_DESTINATION
        ? "the API base URL is not a public internet address; change it in the integration settings"
        : err.status === 401 || err.status === 403 || err.code === "invalid_auth" || err.code === "not_authed"
        ? "the provider refused the credentials"
        : err.status === 429
          ? "the provider is rate limiting; try again later"
          : err.status === 0
            ? "the provider could not be reached"
            : `the provider answered ${err.status}`;
    result = { ok: false, detail: `${why} (${err.message.slice(0, 200)})` };
  }
  return { type, ok: result.ok, detail: result.detail, provider_status: providerStatus, retry_after_seconds: retryAfter, checked_at: nowIso() };
}
