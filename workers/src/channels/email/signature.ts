/**
 * SendGrid's signed webhooks: an ECDSA P-256 / SHA-256 signature over `timestamp + raw body`,
 * sent base64 (ASN.1 DER) in `X-Twilio-Email-Event-Webhook-Signature` with the timestamp in
 * `X-Twilio-Email-Event-Webhook-Timestamp`; the verification key is the base64 SPKI public key
 * SendGrid shows when signing is switched on.
 * https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features
 */
import { bytesOf, concatBytes, fromBase64, withinWindow, type SignatureCheck } from "../webhook-crypto";

/** Headers SendGrid signs with. */
export const SENDGRID_SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature";
export const SENDGRID_TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp";
/** Signed requests older or newer than this are refused as replays. */
export const SENDGRID_MAX_SKEW_SECONDS = 5 * 60;
const P256_COORDINATE_BYTES = 32;

/** Reads one DER INTEGER at `offset`; returns its bytes (sign padding removed) and the next offset. */
function readDerInteger(der: Uint8Array, offset: number): { value: Uint8Array; next: number } | null {
  if (der[offset] !== 0x02) return null;
  const length = der[offset + 1];
  if (length === undefined || length > 0x7f) return null;
  let value = der.subarray(offset + 2, offset + 2 + length);
  if (value.byteLength !== length) return null;
  while (value.byteLength > P256_COORDINATE_BYTES && value[0] === 0) value = value.subarray(1);
  if (value.byteLength > P256_COORDINATE_BYTES) return null;
  return { value, next: offset + 2 + length };
}

/** WebCrypto verifies raw `r || s`; SendGrid sends an ASN.1 `SEQUENCE { r, s }`. */
export function derToRawSignature(der: Uint8Array): Uint8Array | null {
  if (der[0] !== 0x30) return null;
  const seqLength = der[1];
  if (seqLength === undefined || seqLength > 0x7f || seqLength + 2 !== der.byteLength) return null;
  const r = readDerInteger(der, 2);
  const s = r && readDerInteger(der, r.next);
  if (!r || !s || s.next !== der.byteLength) return null;
  const raw = new Uint8Array(2 * P256_COORDINATE_BYTES);
  raw.set(r.value, P256_COORDINATE_BYTES - r.value.byteLength);
  raw.set(s.value, 2 * P256_COORDINATE_BYTES - s.value.byteLength);
  return raw;
}

/** The public key from SendGrid's settings page (base64 DER, with or without PEM armour). */
async function importVerificationKey(publicKey: string): Promise<CryptoKey | null> {
  const der = fromBase64(publicKey.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, ""));
  if (!der) return null;
  try {
    return await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } catch {
    return null;
  }
}

/** Checks a SendGrid-signed request; `nowSeconds: null` skips the age check (published samples). */
export async function verifySendGridSignature(opts: {
  publicKey: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  rawBody: string | Uint8Array;
  nowSeconds?: number | null;
}): Promise<SignatureCheck> {
  const { timestamp, signature } = opts;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "missing" };
  if (opts.nowSeconds !== null && !withinWindow(Number(timestamp), SENDGRID_MAX_SKEW_SECONDS, opts.nowSeconds)) {
    return { ok: false, reason: "stale" };
  }
  const key = await importVerificationKey(opts.publicKey);
  if (!key) return { ok: false, reason: "not_configured" };
  const der = fromBase64(signature);
  const raw = der && derToRawSignature(der);
  if (!raw) return { ok: false, reason: "mismatch" };
  const ok = await crypto.subtle.verify(
    { name: "ECDSA", hash: "SHA-256" },
    key,
    raw,
    concatBytes(bytesOf(timestamp), bytesOf(opts.rawBody)),
  );
  return ok ? { ok: true } : { ok: false, reason: "mismatch" };
}
