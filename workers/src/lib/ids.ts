/** ID prefixes of API.md, one per kind of object. */
export const ID_PREFIX = {
  workspace: "ws",
  assistant: "ast",
  conversation: "conv",
  message: "msg",
  document: "doc",
  chunk: "chk",
  phrasing: "phr",
  key: "key",
  escalation: "esc",
  user: "usr",
  refresh: "rtf",
  event: "evt",
  audit: "aud",
  integration: "int",
  notionSource: "nsrc",
  action: "act",
  mcpServer: "mcp",
  actionCall: "acl",
  savedReply: "srp",
  ssoLogin: "sso",
  request: "req",
} as const;

export type IdKind = keyof typeof ID_PREFIX;

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ID_RANDOM_CHARS = 20; // 62^20 ≈ 2^119: collision-free without a lookup

/** Random base62 string of `length` characters (rejection sampling keeps it uniform). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    const bytes = crypto.getRandomValues(new Uint8Array(length * 2));
    for (const b of bytes) {
      if (b < 248 && out.length < length) out += ALPHABET[b % 62];
    }
  }
  return out;
}

/** A new prefixed, URL-safe id such as `ast_3fK…`. */
export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}_${randomBase62(ID_RANDOM_CHARS)}`;
}

const ID_PATTERN = /^[a-z]{2,4}_[0-9A-Za-z]{8,64}$/;

/** True when `value` looks like an id of `kind`; a cheap guard before any query. */
export function isId(kind: IdKind, value: string): boolean {
  return value.startsWith(`${ID_PREFIX[kind]}_`) && ID_PATTERN.test(value);
}
