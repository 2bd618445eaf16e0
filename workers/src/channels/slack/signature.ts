/**
 * Slack's request signing (v0): `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` under the
 * app's signing secret, sent as `X-Slack-Signature` with `X-Slack-Request-Timestamp`.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
import { bytesOf, concatBytes, hmacHex, safeEqual, withinWindow, type SignatureCheck } from "../webhook-crypto";

/** Slack's documented replay window: requests older (or newer) than 5 minutes are refused. */
export const SLACK_MAX_SKEW_SECONDS = 5 * 60;

/** The `X-Slack-Signature` value for a body sent at `timestamp`. */
export async function slackSignature(signingSecret: string, timestamp: string, rawBody: string | Uint8Array): Promise<string> {
  const base = concatBytes(bytesOf(`v0:${timestamp}:`), bytesOf(rawBody));
  return `v0=${await hmacHex("SHA-256", signingSecret, base)}`;
}

/** Checks a request's Slack signature and its timestamp window. */
export async function verifySlackSignature(opts: {
  signingSecret: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  rawBody: string | Uint8Array;
  nowSeconds?: number;
}): Promise<SignatureCheck> {
  const { timestamp, signature } = opts;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "missing" };
  if (!withinWindow(Number(timestamp), SLACK_MAX_SKEW_SECONDS, opts.nowSeconds)) return { ok: false, reason: "stale" };
  const expected = await slackSignature(opts.signingSecret, timestamp, opts.rawBody);
  return safeEqual(expected, signature.trim()) ? { ok: true } : { ok: false, reason: "mismatch" };
}
