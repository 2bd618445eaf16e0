import { Hono } from "hono";
import { zendeskSettings } from "../../channels/channel-settings";
import { claimEvent, releaseEvent } from "../../channels/once";
import { verifyZendeskSignature } from "../../channels/zendesk/signature";
import { applyZendeskUpdate, ZendeskTicketUpdate } from "../../channels/zendesk/webhook";
import type { AppEnv } from "../app-env";
import { ApiError } from "../../lib/errors";
import { rawBody, refuse, webhookWorkspace } from "./webhooks-common";

/**
 * `POST /webhooks/zendesk?ws=ws_…`: ticket updates from a Zendesk webhook, verified with
 * `X-Zendesk-Webhook-Signature` (HMAC-SHA256 of timestamp + body under the webhook's signing
 * secret) within a 5-minute window. A repeated invocation id changes nothing.
 */
export const zendeskWebhooks = new Hono<AppEnv>().post("/zendesk", async (c) => {
  const workspaceId = webhookWorkspace(c);
  const body = await rawBody(c);
  const settings = workspaceId ? await zendeskSettings(c.env, workspaceId) : null;
  if (!workspaceId || !settings) return refuse(c, "zendesk", "unknown_workspace");
  if (!settings.webhookSecret) return refuse(c, "zendesk", "not_configured");
  const check = await verifyZendeskSignature({
    secret: settings.webhookSecret,
    timestamp: c.req.header("x-zendesk-webhook-signature-timestamp"),
    signature: c.req.header("x-zendesk-webhook-signature"),
    rawBody: body,
  });
  if (!check.ok) return refuse(c, "zendesk", check.reason);

  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new ApiError("invalid_request", "the webhook body is not JSON");
  }
  const update = ZendeskTicketUpdate.parse(json);
  const invocation = c.req.header("x-zendesk-webhook-invocation-id");
  const claimId = invocation ? `${workspaceId}:${invocation}` : null;
  if (claimId && !(await claimEvent(c.env.DB, "zendesk", claimId))) return c.json({ duplicate: true });
  try {
    const outcome = await applyZendeskUpdate(c.env, workspaceId, settings, update);
    c.get("logger").info("zendesk ticket update", { provider: "zendesk", ticket_id: update.ticket_id, ...outcome });
    return c.json(outcome);
  } catch (err) {
    if (claimId) await releaseEvent(c.env.DB, "zendesk", claimId);
    throw err;
  }
});
