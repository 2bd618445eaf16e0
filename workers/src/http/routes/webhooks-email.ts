import { Hono } from "hono";
import { emailSettings } from "../../channels/channel-settings";
import { acceptInboundEmail } from "../../channels/email/inbound";
import { readInboundEmail } from "../../channels/email/inbound-parse";
import { SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, verifySendGridSignature } from "../../channels/email/signature";
import { safeEqual } from "../../channels/webhook-crypto";
import type { AppEnv } from "../app-env";
import { ApiError } from "../../lib/errors";
import { publicOrigin, rawBody, refuse, webhookWorkspace } from "./webhooks-common";

/** SendGrid accepts inbound mail up to 30 MB including attachments. */
export const MAX_INBOUND_EMAIL_BYTES = 30 * 1024 * 1024;

/** The password of `Authorization: Basic …`, or null. */
function basicPassword(header: string | undefined): string | null {
  const match = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i);
  if (!match) return null;
  try {
    const decoded = atob(match[1]!);
    const colon = decoded.indexOf(":");
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  } catch {
    return null;
  }
}

/**
 * `POST /webhooks/email?ws=ws_…&secret=…`: SendGrid Inbound Parse (multipart). Authenticated
 * by the workspace's inbound secret (in the URL, or as the basic-auth password of
 * `https://user:secret@host/webhooks/email?ws=…`) and, when a verification key is configured,
 * by SendGrid's signature. The answer goes out through SendGrid's mail send API.
 */
export const emailWebhooks = new Hono<AppEnv>().post("/email", async (c) => {
  const workspaceId = webhookWorkspace(c);
  const body = await rawBody(c, MAX_INBOUND_EMAIL_BYTES);
  const settings = workspaceId ? await emailSettings(c.env, workspaceId) : null;
  if (!workspaceId || !settings) return refuse(c, "sendgrid", "unknown_workspace");
  if (!settings.inboundSecret) return refuse(c, "sendgrid", "not_configured");
  const presented = c.req.query("secret") ?? basicPassword(c.req.header("authorization"));
  if (!presented) return refuse(c, "sendgrid", "missing");
  if (!safeEqual(presented, settings.inboundSecret)) return refuse(c, "sendgrid", "mismatch");
  if (settings.config.signature_public_key) {
    const check = await verifySendGridSignature({
      publicKey: settings.config.signature_public_key,
      timestamp: c.req.header(SENDGRID_TIMESTAMP_HEADER),
      signature: c.req.header(SENDGRID_SIGNATURE_HEADER),
      rawBody: body,
    });
    if (!check.ok) return refuse(c, "sendgrid", check.reason);
  }

  let form: FormData;
  try {
    form = await new Request(c.req.url, { method: "POST", headers: { "content-type": c.req.header("content-type") ?? "" }, body }).formData();
  } catch {
    throw new ApiError("invalid_request", "expected SendGrid Inbound Parse multipart/form-data");
  }
  const email = readInboundEmail(form);
  if (!email) throw new ApiError("invalid_request", "the email has no sender");
  const outcome = await acceptInboundEmail(c.env, workspaceId, settings, email, publicOrigin(c));
  c.get("logger").info("inbound email", { provider: "sendgrid", outcome });
  return c.body(null, 200);
});
