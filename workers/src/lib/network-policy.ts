/**
 * Which addresses the Worker may fetch on a tenant's behalf. Pages to import, robots.txt,
 * sitemaps and provider base URLs from integration settings all come from tenants, so each is
 * checked here before any request leaves: only http(s) to the public internet. Loopback,
 * private networks, link-local (cloud metadata at 169.254.169.254), CGNAT, unique-local IPv6,
 * IPv4 hidden inside IPv6, multicast and reserved blocks are refused, in every spelling the
 * WHATWG URL parser accepts (it turns `2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1` and a
 * trailing dot into `127.0.0.1`, so one classification covers them all).
 *
 * Host names that are not IP literals cannot be resolved from a Worker, so a public-looking
 * name that resolves to a private address (DNS rebinding) is closed at the socket instead: on
 * Cloudflare private ranges are not routable from Workers, and a self-hosted workerd must keep
 * its outbound network to `allow = ["public"]` (docs/SELF-HOSTING-NETWORK.md).
 *
 * Tests reach their local stand-in servers through `ALLOW_PRIVATE_FETCH`, an explicit list of
 * `host:port` that is honoured only outside production.
 */
import { createLogger } from "./logger";

/** What may be fetched beyond the public internet: exact `host:port` pairs, empty in production. */
export interface OutboundPolicy {
  readonly allowedPrivateHosts: ReadonlySet<string>;
}

/** Public addresses only: what production always gets and what any caller without an env gets. */
export const STRICT_OUTBOUND_POLICY: OutboundPolicy = { allowedPrivateHosts: new Set() };

/** An address the Worker refuses to fetch; the message says which and why, without secrets. */
export class BlockedDestinationError extends Error {
  constructor(
    message: string,
    /** The refused URL's host (`host:port`), for logs and error details. */
    readonly host: string,
  ) {
    super(message);
    this.name = "BlockedDestinationError";
  }
}

/** An IPv4 block: first address as a 32-bit number and prefix length, with why it is refused. */
interface V4Block {
  base: number;
  bits: number;
  reason: string;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/** IPv4 blocks no tenant URL may point at (IANA special-purpose registry, RFC 6890 and successors). */
const BLOCKED_V4: readonly V4Block[] = [
  { base: v4(0, 0, 0, 0), bits: 8, reason: "an unspecified address (0.0.0.0/8)" },
  { base: v4(10, 0, 0, 0), bits: 8, reason: "a private network address (10.0.0.0/8)" },
  { base: v4(100, 64, 0, 0), bits: 10, reason: "a carrier-grade NAT address (100.64.0.0/10)" },
  { base: v4(127, 0, 0, 0), bits: 8, reason: "a loopback address (127.0.0.0/8)" },
  { base: v4(169, 254, 0, 0), bits: 16, reason: "a link-local address (169.254.0.0/16, where cloud metadata services live)" },
  { base: v4(172, 16, 0, 0), bits: 12, reason: "a private network address (172.16.0.0/12)" },
  { base: v4(192, 0, 0, 0), bits: 24, reason: "a reserved protocol address (192.0.0.0/24)" },
  { base: v4(192, 0, 2, 0), bits: 24, reason: "a documentation address (192.0.2.0/24)" },
  { base: v4(192, 88, 99, 0), bits: 24, reason: "a reserved relay address (192.88.99.0/24)" },
  { base: v4(192, 168, 0, 0), bits: 16, reason: "a private network address (192.168.0.0/16)" },
  { base: v4(198, 18, 0, 0), bits: 15, reason: "a benchmarking address (198.18.0.0/15)" },
  { base: v4(198, 51, 100, 0), bits: 24, reason: "a documentation address (198.51.100.0/24)" },
  { base: v4(203, 0, 113, 0), bits: 24, reason: "a documentation address (203.0.113.0/24)" },
  { base: v4(224, 0, 0, 0), bits: 4, reason: "a multicast address (224.0.0.0/4)" },
  { base: v4(240, 0, 0, 0), bits: 4, reason: "a reserved or broadcast address (240.0.0.0/4)" },
];

/** Host name suffixes that only ever mean this machine or a private network. */
const LOCAL_NAME_SUFFIXES = [".localhost", ".local", ".internal", ".localdomain", ".home.arpa"];

/** Why an IPv4 address (dotted quad) is refused, or null when it is public; also null when not one. */
export function blockedIpv4Reason(address: string): string | null {
  const n = parseIpv4(address);
  if (n === null) return null;
  return blockedV4Number(n);
}

function blockedV4Number(n: number): string | null {
  for (const block of BLOCKED_V4) {
    const mask = block.bits === 0 ? 0 : (~0 << (32 - block.bits)) >>> 0;
    if ((n & mask) >>> 0 === block.base) return block.reason;
  }
  return null;
}

/** A canonical dotted quad as a 32-bit number; null for anything else. */
function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const byte = Number(part);
    if (byte > 255) return null;
    n = n * 256 + byte;
  }
  return n >>> 0;
}

/** An IPv6 address as eight 16-bit groups; null when `text` is not one. Accepts `::` and a trailing dotted quad. */
export function parseIpv6(text: string): number[] | null {
  let s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (s.includes("%")) return null; // zone ids never appear in URLs
  const lastColon = s.lastIndexOf(":");
  if (lastColon >= 0 && s.slice(lastColon + 1).includes(".")) {
    // `::ffff:1.2.3.4`: the dotted quad is the last two groups written another way.
    const quad = parseIpv4(s.slice(lastColon + 1));
    if (quad === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(quad >>> 16).toString(16)}:${(quad & 0xffff).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN);
  const head = halves[0] ? halves[0].split(":").map(group) : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":").map(group) : [];
  if ([...head, ...rest].some((g) => Number.isNaN(g))) return null;
  const written = head.length + rest.length;
  if (halves.length === 2) {
    if (written > 7) return null;
    return [...head, ...new Array<number>(8 - written).fill(0), ...rest];
  }
  return written === 8 ? head : null;
}

/** Why an IPv6 address is refused, or null when it is public (or not an IPv6 address). */
export function blockedIpv6Reason(address: string): string | null {
  const g = parseIpv6(address);
  if (!g) return null;
  const [g0, g1, g2, g3, g4, g5, g6, g7] = g as [number, number, number, number, number, number, number, number];
  const embedded = ((g6 << 16) | g7) >>> 0;
  const zeroUpTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroUpTo(8)) return "an unspecified address (::)";
  if (zeroUpTo(7) && g7 === 1) return "a loopback address (::1)";
  if (zeroUpTo(5) && g5 === 0xffff) return "an IPv4-mapped IPv6 address (::ffff:0:0/96)";
  if (zeroUpTo(6)) return "an IPv4-compatible IPv6 address (::/96)";
  if (zeroUpTo(4) && g4 === 0xffff && g5 === 0) return "an IPv4-translated IPv6 address (::ffff:0:0:0/96)";
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    const inner = blockedV4Number(embedded);
    return inner ? `a NAT64 address embedding ${inner}` : null;
  }
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return "a local-use NAT64 address (64:ff9b:1::/48)";
  if (g0 === 0x2002) {
    const inner = blockedV4Number(((g1 << 16) | g2) >>> 0);
    return inner ? `a 6to4 address embedding ${inner}` : null;
  }
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return "a discard-only address (100::/64)";
  if (g0 === 0x2001 && g1 === 0) return "a Teredo tunnel address (2001::/32)";
  if (g0 === 0x2001 && g1 === 0xdb8) return "a documentation address (2001:db8::/32)";
  if ((g0 & 0xfe00) === 0xfc00) return "a unique-local address (fc00::/7)";
  if ((g0 & 0xffc0) === 0xfe80) return "a link-local address (fe80::/10)";
  if ((g0 & 0xffc0) === 0xfec0) return "a site-local address (fec0::/10)";
  if ((g0 & 0xff00) === 0xff00) return "a multicast address (ff00::/8)";
  return null;
}

/**
 * Why a URL host name (as `URL.hostname` gives it: lower case, IPv4 canonical, IPv6 in brackets)
 * may not be fetched, or null when it may.
 */
export function blockedHostReason(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host === "") return "an empty host name";
  if (host.startsWith("[")) return blockedIpv6Reason(host) ?? (parseIpv6(host) ? null : "not a valid IPv6 address");
  if (/^[\d.]+$/.test(host)) return blockedIpv4Reason(host) ?? (parseIpv4(host) === null ? "not a valid IPv4 address" : null);
  if (host === "localhost" || LOCAL_NAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) return "a local host name";
  return null;
}

/**
 * Checks one URL against the policy: why it is refused, or null when it may be fetched. A host
 * in the policy's allowance (tests' local servers) passes whatever its address.
 */
export function outboundRefusal(url: URL, policy: OutboundPolicy): string | null {
  if (url.protocol !== "http:" && url.protocol !== "https:") return `only http and https addresses can be fetched, not ${url.protocol}`;
  if (policy.allowedPrivateHosts.has(url.host)) return null;
  const reason = blockedHostReason(url.hostname);
  return reason ? `${url.host} is ${reason}; only public internet addresses can be fetched` : null;
}

/** Parses `raw` and throws `BlockedDestinationError` unless the policy lets it be fetched. */
export function assertOutboundAllowed(raw: string | URL, policy: OutboundPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BlockedDestinationError("not a valid URL", "");
  }
  const refusal = outboundRefusal(url, policy);
  if (refusal) throw new BlockedDestinationError(refusal, url.host);
  return url;
}

/** `host:port` (port omitted when it is the scheme's default) of one allowance entry, or null. */
function allowanceHost(entry: string): string | null {
  const trimmed = entry.trim();
  if (!trimmed) return null;
  try {
    return new URL(trimmed.includes("://") ? trimmed : `http://${trimmed}`).host;
  } catch {
    return null;
  }
}

let warnedInProduction = false; // one warning per isolate is enough to notice a misconfiguration

/**
 * The policy of this deployment. `ALLOW_PRIVATE_FETCH` (comma-separated `host:port`, URLs
 * accepted) lets tests reach their local servers; in production it is ignored, with a warning.
 */
export function outboundPolicy(
  env: { ENVIRONMENT?: string | undefined; ALLOW_PRIVATE_FETCH?: string | undefined },
  warn: (msg: string, fields: Record<string, unknown>) => void = (msg, fields) => createLogger().warn(msg, fields),
): OutboundPolicy {
  const raw = env.ALLOW_PRIVATE_FETCH?.trim() ?? "";
  if (!raw) return STRICT_OUTBOUND_POLICY;
  if (env.ENVIRONMENT === "production") {
    if (!warnedInProduction) {
      warnedInProduction = true;
      warn("ALLOW_PRIVATE_FETCH is ignored in production; only public addresses are fetched", { entries: raw.split(",").length });
    }
    return STRICT_OUTBOUND_POLICY;
  }
  const hosts = raw.split(",").map(allowanceHost).filter((h): h is string => h !== null);
  return { allowedPrivateHosts: new Set(hosts) };
}

/** Lets the next production policy warn again (for tests of the warning). */
export function resetProductionWarning(): void {
  warnedInProduction = false;
}
