/**
 * Zendesk webhook signing: `X-Zendesk-Webhook-Signature` is base64(HMAC-SHA256(signing secret,
 * timestamp + raw body)), with the timestamp in `X-Zendesk-Webhook-Signature-Timestamp`.
 * https://developer.zendesk.com/documentation/webhooks/verifying/
 */
import { bytesOf, concatBytes, hmac, safeEqual, toBase64, withinWindow, type SignatureCheck } from "../webhook-crypto";

/** Requests whose signed timestamp is further than this from now are refused as replays. */
export const ZENDESK_MAX_SKEW_SECONDS = 5 * 60;

/** The signature Zendesk sends for `rawBody` at `timestamp`. */
export async function zendeskSignature(secret: string, timestamp: string, rawBody: string | Uint8Array): Promise<string> {
  return toBase64(await hmac("SHA-256", secret, concatBytes(bytesOf(timestamp), bytesOf(rawBody))));
}

/** Zendesk's timestamp is ISO-8601 (`2024-01-01T00:00:00Z`); plain Unix seconds are accepted too. */
function timestampSeconds(value: string): number {
  if (/^\d{1,12}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? Number.NaN : Math.floor(ms / 1000);
}

/** Checks a Zendesk webhook's signature and that its timestamp is recent. */
export async function verifyZendeskSignature(opts: {
  secret: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  rawBody: string | Uint8Array;
  nowSeconds?: number;
}): Promise<SignatureCheck> {
  const { timestamp, signature } = opts;
  if (!timestamp || !signature) return { ok: false, reason: "missing" };
  if (!withinWindow(timestampSeconds(timestamp), ZENDESK_MAX_SKEW_SECONDS, opts.nowSeconds)) return { ok: false, reason: "stale" };
  const expected = await zendeskSignature(opts.secret, timestamp, opts.rawBody);
  return safeEqual(expected, signature.trim()) ? { ok: true } : { ok: false, reason: "mismatch" };
}
