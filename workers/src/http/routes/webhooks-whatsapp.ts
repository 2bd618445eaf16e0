import { Hono } from "hono";
import { whatsAppSettings } from "../../channels/channel-settings";
import { acceptWhatsAppMessage } from "../../channels/whatsapp/inbound";
import { verifyTwilioSignature } from "../../channels/whatsapp/signature";
import type { AppEnv } from "../app-env";
import { publicOrigin, rawBody, refuse, webhookWorkspace } from "./webhooks-common";

/** Twilio's empty answer: reply with nothing now (the answer is sent through the Messages API). */
const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * `POST /webhooks/whatsapp?ws=ws_…`: WhatsApp messages through Twilio, verified with
 * `X-Twilio-Signature` over the public URL and the form. Acknowledged at once with empty
 * TwiML; the answer goes out through Twilio's Messages API from the outbound queue.
 */
export const whatsAppWebhooks = new Hono<AppEnv>().post("/whatsapp", async (c) => {
  const workspaceId = webhookWorkspace(c);
  const body = await rawBody(c);
  const settings = workspaceId ? await whatsAppSettings(c.env, workspaceId) : null;
  if (!workspaceId || !settings) return refuse(c, "twilio", "unknown_workspace");
  const form = new URLSearchParams(new TextDecoder().decode(body));
  const check = await verifyTwilioSignature({
    authToken: settings.authToken,
    // Twilio signs the URL as configured in its console; behind a proxy that may differ from ours.
    url: settings.config.webhook_url || c.req.url,
    params: [...form.entries()],
    signature: c.req.header("x-twilio-signature"),
  });
  if (!check.ok) return refuse(c, "twilio", check.reason);
  const outcome = await acceptWhatsAppMessage(c.env, workspaceId, settings, form, publicOrigin(c));
  c.get("logger").info("whatsapp message", { provider: "twilio", outcome });
  return c.body(EMPTY_TWIML, 200, { "content-type": "text/xml; charset=utf-8" });
});
