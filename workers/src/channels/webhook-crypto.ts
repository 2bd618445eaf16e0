/**
 * The small cryptographic pieces every webhook check shares: HMAC, base64 and hex encodings,
 * and a constant-time comparison. WebCrypto only, so it runs in workerd as it is.
 */
import { timingSafeEqual, toHex } from "../lib/crypto";

const encoder = new TextEncoder();

/** Bytes of a string (UTF-8) or the bytes themselves. */
export function bytesOf(data: string | Uint8Array): Uint8Array {
  return typeof data === "string" ? encoder.encode(data) : data;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** HMAC of `data` under `key` with SHA-1 or SHA-256. */
export async function hmac(hash: "SHA-1" | "SHA-256", key: string | Uint8Array, data: string | Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey("raw", bytesOf(key), { name: "HMAC", hash }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, bytesOf(data)));
}

/** Lower-case hex HMAC. */
export async function hmacHex(hash: "SHA-1" | "SHA-256", key: string | Uint8Array, data: string | Uint8Array): Promise<string> {
  return toHex(await hmac(hash, key, data));
}

/** Standard (padded) base64 of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Bytes of standard base64; null when it is not base64. */
export function fromBase64(value: string): Uint8Array | null {
  try {
    const bin = atob(value.trim());
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

/** Constant-time string comparison (re-exported so channel code has one place to look). */
export const safeEqual = timingSafeEqual;

/** Why a webhook was refused; logged, never sent back in detail. */
export type SignatureFailure = "missing" | "stale" | "mismatch" | "not_configured";

/** Result of a signature check. */
export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureFailure };

/**
 * True when a provider's timestamp (Unix seconds) is within `maxAgeSeconds` of now, in either
 * direction: too old is a replay, too far ahead is a forged or badly skewed clock.
 */
export function withinWindow(timestampSeconds: number, maxAgeSeconds: number, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
  return Number.isFinite(timestampSeconds) && Math.abs(nowSeconds - timestampSeconds) <= maxAgeSeconds;
}
