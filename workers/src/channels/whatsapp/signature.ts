/**
 * Twilio's request validation: `X-Twilio-Signature` is the base64 HMAC-SHA1, under the account's
 * auth token, of the full public URL followed by every POST parameter (name then value) sorted
 * by name. https://www.twilio.com/docs/usage/webhooks/webhooks-security
 */
import { hmac, safeEqual, toBase64, type SignatureCheck } from "../webhook-crypto";

/** The signature Twilio sends for a form POST of `params` to `url`. */
export async function twilioSignature(authToken: string, url: string, params: Iterable<[string, string]>): Promise<string> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of params) byName.set(name, [...(byName.get(name) ?? []), value]);
  let data = url;
  for (const name of [...byName.keys()].sort()) {
    // Repeated names: each distinct value once, in order, as Twilio's own libraries do.
    for (const value of [...new Set(byName.get(name))].sort()) data += name + value;
  }
  return toBase64(await hmac("SHA-1", authToken, data));
}

/**
 * Twilio signs the URL exactly as configured, which may or may not spell the default port; both
 * spellings are tried, like Twilio's helper libraries do.
 */
function urlVariants(url: string): string[] {
  const match = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!match) return [url];
  const [, scheme, authority, rest] = match as unknown as [string, string, string, string];
  const host = authority.replace(/:\d+$/, "");
  const defaultPort = scheme.toLowerCase() === "https" ? "443" : "80";
  return [...new Set([url, `${scheme}://${host}${rest}`, `${scheme}://${host}:${defaultPort}${rest}`])];
}

/** Checks `X-Twilio-Signature` for a form POST to the public `url`. */
export async function verifyTwilioSignature(opts: {
  authToken: string;
  url: string;
  params: [string, string][];
  signature: string | null | undefined;
}): Promise<SignatureCheck> {
  if (!opts.signature) return { ok: false, reason: "missing" };
  for (const candidate of urlVariants(opts.url)) {
    const expected = await twilioSignature(opts.authToken, candidate, opts.params);
    if (safeEqual(expected, opts.signature.trim())) return { ok: true };
  }
  return { ok: false, reason: "mismatch" };
}
