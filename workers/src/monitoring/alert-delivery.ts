/**
 * Alert notices: to a Slack incoming webhook (`ALERT_SLACK_WEBHOOK_URL`, a plain text message)
 * and to a generic webhook (`ALERT_WEBHOOK_URL`, JSON). The generic body is signed when
 * `ALERT_WEBHOOK_SECRET` is set: `X-EdgeDesk-Signature: v1=<hex HMAC-SHA256 of
 * "<X-EdgeDesk-Timestamp>.<raw body>">`, with the Unix time in seconds in `X-EdgeDesk-Timestamp`,
 * so a receiver can check both the sender and the freshness.
 */
import { toHex } from "../lib/crypto";
import type { AlertChange } from "./alert-state";

const DELIVERY_TIMEOUT_MS = 5_000;

/** The generic webhook's body. */
export interface AlertNotice {
  type: "alert.opened" | "alert.resolved";
  alert: string;
  summary: string;
  opened_at: string;
  /** ISO time of this notice. */
  at: string;
  environment: string;
}

/** The notice of a change. */
export function noticeOf(change: AlertChange, env: Pick<Env, "ENVIRONMENT">, at = new Date()): AlertNotice {
  return {
    type: change.state === "opened" ? "alert.opened" : "alert.resolved",
    alert: change.key,
    summary: change.summary,
    opened_at: change.opened_at,
    at: at.toISOString(),
    environment: env.ENVIRONMENT,
  };
}

/** Hex HMAC-SHA256 of `message` with `secret`. */
export async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message))));
}

/** The Slack text of a notice. */
function slackText(n: AlertNotice): string {
  const head = n.type === "alert.opened" ? `:rotating_light: EdgeDesk alert (${n.environment}): ${n.alert}` : `:white_check_mark: EdgeDesk recovered (${n.environment}): ${n.alert}`;
  return `${head}\n${n.summary}${n.type === "alert.resolved" ? `\nopen since ${n.opened_at}` : ""}`;
}

/** True when at least one destination is configured. */
export function hasAlertDestination(env: Env): boolean {
  return Boolean(env.ALERT_WEBHOOK_URL || env.ALERT_SLACK_WEBHOOK_URL);
}

/**
 * Sends a notice to every configured destination. Resolves to whether any took it (a 2xx);
 * each failure goes to `onFailure` with the destination's kind, never its URL (a secret).
 */
export async function deliverNotice(env: Env, notice: AlertNotice, onFailure: (destination: string, error: unknown) => void): Promise<boolean> {
  const sends: Promise<boolean>[] = [];
  const send = async (destination: string, url: string, body: string, headers: Record<string, string>) => {
    try {
      const res = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`answered ${res.status}`);
      return true;
    } catch (err) {
      onFailure(destination, err);
      return false;
    }
  };
  if (env.ALERT_SLACK_WEBHOOK_URL) sends.push(send("slack", env.ALERT_SLACK_WEBHOOK_URL, JSON.stringify({ text: slackText(notice) }), {}));
  if (env.ALERT_WEBHOOK_URL) {
    const body = JSON.stringify(notice);
    const headers: Record<string, string> = {};
    if (env.ALERT_WEBHOOK_SECRET) {
      const timestamp = String(Math.floor(Date.parse(notice.at) / 1000));
      headers["X-EdgeDesk-Timestamp"] = timestamp;
      headers["X-EdgeDesk-Signature"] = `v1=${await hmacHex(env.ALERT_WEBHOOK_SECRET, `${timestamp}.${body}`)}`;
    }
    sends.push(send("webhook", env.ALERT_WEBHOOK_URL, body, headers));
  }
  return (await Promise.all(sends)).some(Boolean);
}
