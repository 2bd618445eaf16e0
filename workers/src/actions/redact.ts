/**
 * What of an action call may be kept and shown: secrets (header values) and sensitive fields
 * (passwords, tokens, card numbers…) replaced, long values cut, so the call log and the
 * conversation's `tool_calls` never hold a credential.
 */

/** Field names whose values are never stored. */
const SENSITIVE_KEY = /pass(word|code|phrase)?|secret|token|api[-_]?key|auth|cookie|session|card|cvv|cvc|ssn|social[-_]?security|iban|account[-_]?number|\bpin\b/i;
/** Longest string kept, in characters. */
const MAX_STRING_CHARS = 500;
/** Longest stored value as JSON, in characters; a bigger one is kept as a cut preview. */
export const MAX_STORED_JSON_CHARS = 4_000;
/** Deepest nesting kept. */
const MAX_DEPTH = 8;
/** What stands in for a removed value. */
export const REDACTED = "[redacted]";

function scrubString(value: string, secrets: readonly string[]): string {
  let out = value;
  for (const secret of secrets) if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out.length > MAX_STRING_CHARS ? `${out.slice(0, MAX_STRING_CHARS)}…` : out;
}

/** A copy of `value` with sensitive fields and any of `secrets` replaced, strings cut, depth bounded. */
export function redact(value: unknown, secrets: readonly string[] = [], depth = 0): unknown {
  if (typeof value === "string") return scrubString(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>).slice(0, 100)) {
    out[k] = SENSITIVE_KEY.test(k) && v !== null && v !== undefined && v !== "" ? REDACTED : redact(v, secrets, depth + 1);
  }
  return out;
}

/** `redact`, then cut to a preview string when the JSON is still too long to store. */
export function redactForStorage(value: unknown, secrets: readonly string[] = []): unknown {
  const clean = redact(value, secrets);
  const json = JSON.stringify(clean) ?? "null";
  return json.length > MAX_STORED_JSON_CHARS ? `${json.slice(0, MAX_STORED_JSON_CHARS)}…` : clean;
}

/** An error message fit to store and show: secrets replaced, length bounded. */
export function redactMessage(message: string, secrets: readonly string[] = []): string {
  return scrubString(message, secrets);
}
