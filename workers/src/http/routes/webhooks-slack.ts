import { Hono } from "hono";
import { slackSettings } from "../../channels/channel-settings";
import { readSlackPayload } from "../../channels/slack/events";
import { acceptSlackMessage } from "../../channels/slack/inbound";
import { verifySlackSignature } from "../../channels/slack/signature";
import type { AppEnv } from "../app-env";
import { ApiError } from "../../lib/errors";
import { publicOrigin, rawBody, refuse, webhookWorkspace } from "./webhooks-common";

/**
 * `POST /webhooks/slack/events?ws=ws_…`: the Slack Events API. Verified with the app's signing
 * secret (v0, 5-minute window), answered within Slack's 3 seconds; the answer itself is
 * generated and posted in the thread from the outbound queue.
 */
export const slackWebhooks = new Hono<AppEnv>().post("/slack/events", async (c) => {
  const workspaceId = webhookWorkspace(c);
  const body = await rawBody(c);
  const settings = workspaceId ? await slackSettings(c.env, workspaceId) : null;
  if (!workspaceId || !settings) return refuse(c, "slack", "unknown_workspace");
  if (!settings.signingSecret) return refuse(c, "slack", "not_configured");
  const check = await verifySlackSignature({
    signingSecret: settings.signingSecret,
    timestamp: c.req.header("x-slack-request-timestamp"),
    signature: c.req.header("x-slack-signature"),
    rawBody: body,
  });
  if (!check.ok) return refuse(c, "slack", check.reason);

  const action = readSlackPayload(new TextDecoder().decode(body));
  const logger = c.get("logger").with({ provider: "slack", retry: c.req.header("x-slack-retry-num") ?? null });
  switch (action.kind) {
    case "url_verification":
      return c.json({ challenge: action.challenge });
    case "invalid":
      throw new ApiError("invalid_request", "not a Slack Events API payload");
    case "ignored":
      logger.info("slack event ignored", { reason: action.reason, event_id: action.event_id });
      return c.body(null, 200);
    case "message": {
      if (settings.config.team_id && settings.config.team_id !== action.team_id) {
        logger.warn("slack event from another team ignored", { team_id: action.team_id });
        return c.body(null, 200);
      }
      const outcome = await acceptSlackMessage(c.env, workspaceId, settings, action, publicOrigin(c));
      logger.info("slack message", { event_id: action.event_id, outcome });
      return c.body(null, 200);
    }
  }
});
