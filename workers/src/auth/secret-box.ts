/**
 * Encryption at rest for secrets kept in D1 (integration credentials): AES-256-GCM with a key
 * ring from `ENCRYPTION_KEYS` (`id:base64key[,id2:key2]`, newest first). New values are sealed
 * with the newest key; older ids stay readable, so keys can be rotated without a migration.
 */
import { misconfigured } from "../lib/errors";
import { fromBase64Url, toBase64Url } from "../lib/crypto";

const KEY_BYTES = 32; // AES-256
const IV_BYTES = 12; // the GCM nonce size WebCrypto and NIST recommend
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A sealed value and the id of the key that sealed it. */
export interface Sealed {
  keyId: string;
  /** base64url of `iv || ciphertext || tag`. */
  ciphertext: string;
}

interface RingKey {
  id: string;
  key: CryptoKey;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function decodeBase64(value: string): Uint8Array {
  return fromBase64Url(value.trim().replace(/=+$/, ""));
}

/** Parses `ENCRYPTION_KEYS`; throws with a message that says what is wrong, never the keys. */
export function parseKeyRing(raw: string): { id: string; bytes: Uint8Array }[] {
  const entries = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (entries.length === 0) throw new Error("ENCRYPTION_KEYS is empty");
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(":");
    const id = colon > 0 ? entry.slice(0, colon) : "";
    if (!KEY_ID_PATTERN.test(id)) throw new Error(`ENCRYPTION_KEYS entry ${i + 1} must look like id:base64key`);
    if (seen.has(id)) throw new Error(`ENCRYPTION_KEYS repeats the key id ${id}`);
    seen.add(id);
    let bytes: Uint8Array;
    try {
      bytes = decodeBase64(entry.slice(colon + 1));
    } catch {
      throw new Error(`ENCRYPTION_KEYS key ${id} is not valid base64`);
    }
    if (bytes.byteLength !== KEY_BYTES) throw new Error(`ENCRYPTION_KEYS key ${id} must be ${KEY_BYTES} bytes`);
    return { id, bytes };
  });
}

/**
 * What is wrong with `ENCRYPTION_KEYS`, or null when the key ring is usable. There is no
 * stand-in key in any environment: a key written in the source protects nothing, so `npm start`
 * and the tests generate a random one instead.
 */
export function encryptionKeysProblem(env: Pick<Env, "ENCRYPTION_KEYS">): string | null {
  const raw = env.ENCRYPTION_KEYS?.trim();
  if (!raw) return "is not set";
  try {
    parseKeyRing(raw);
    return null;
  } catch (err) {
    // parseKeyRing's messages say what is wrong and never include key material.
    return `is invalid (${err instanceof Error ? err.message : "unreadable"})`;
  }
}

/** The key ring of this deployment, newest first; a 503 `misconfigured` when it is missing or invalid. */
async function keyRing(env: Pick<Env, "ENCRYPTION_KEYS">): Promise<RingKey[]> {
  const problem = encryptionKeysProblem(env);
  if (problem) throw misconfigured("ENCRYPTION_KEYS", `${problem}; integration secrets can be neither stored nor read`);
  return Promise.all(
    parseKeyRing(env.ENCRYPTION_KEYS!).map(async ({ id, bytes }) => ({
      id,
      key: await crypto.subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]),
    })),
  );
}

/**
 * Seals `plaintext` with the newest key. `context` (the workspace and record it belongs to) is
 * bound in as associated data, so a ciphertext copied to another row does not open there.
 */
export async function seal(env: Pick<Env, "ENCRYPTION_KEYS">, plaintext: string, context: string): Promise<Sealed> {
  const [newest] = await keyRing(env);
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const encrypted = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    newest!.key,
    encoder.encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + encrypted.byteLength);
  out.set(iv, 0);
  out.set(new Uint8Array(encrypted), IV_BYTES);
  return { keyId: newest!.id, ciphertext: toBase64Url(out) };
}

/** Opens a sealed value; throws when its key is gone or it was tampered with. */
export async function open(env: Pick<Env, "ENCRYPTION_KEYS">, sealed: Sealed, context: string): Promise<string> {
  const ring = await keyRing(env);
  const entry = ring.find((k) => k.id === sealed.keyId);
  if (!entry) throw new Error(`no encryption key with id ${sealed.keyId} is configured`);
  const bytes = fromBase64Url(sealed.ciphertext);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: encoder.encode(context) },
    entry.key,
    bytes.slice(IV_BYTES),
  );
  return decoder.decode(plain);
}
