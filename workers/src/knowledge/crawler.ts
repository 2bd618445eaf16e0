/**
 * Fetching web pages for the knowledge base: one page, or a bounded same-site crawl that
 * respects robots.txt and reads sitemaps.
 */

import { BlockedDestinationError, outboundRefusal, type OutboundPolicy } from "../lib/network-policy";
import { readLimited } from "../lib/read-limited";
import { safeFetch } from "../lib/safe-fetch";

/** Largest page or file fetched, matching the upload limit. */
export const MAX_FETCH_BYTES = 25 * 1024 * 1024;
/** A site slower than this is skipped (the queue retries the document later). */
export const FETCH_TIMEOUT_MS = 15_000;
/** How we introduce ourselves to sites, and the name robots.txt rules can address. */
export const CRAWLER_USER_AGENT = "EdgeDeskBot/0.1 (+knowledge-base import)";
const ROBOTS_CACHE_MS = 10 * 60_000; // robots.txt rarely changes within a crawl

/** A fetched page. */
export interface FetchedPage {
  url: string;
  bytes: Uint8Array;
  contentType: string;
}

/** A page that cannot be fetched, with a reason for the document's `error`; `permanent` when retrying cannot help. */
export class FetchError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "FetchError";
  }
}

/** Redirects followed before a page counts as unreachable; sites rarely chain more than two. */
const MAX_REDIRECTS = 5;

/** A page that may not be fetched at all: not http(s), or not a public internet address. */
function refused(url: string, err: BlockedDestinationError): FetchError {
  return new FetchError(`${url} was not fetched: ${err.message}`, true);
}

/**
 * Fetches `url` with size and time limits. Redirects are followed by hand so each hop is
 * checked: it must be a public address (`policy`), stay on the same site and be allowed by
 * robots.txt.
 */
export async function fetchPage(url: string, policy: OutboundPolicy): Promise<FetchedPage> {
  let res: Response;
  let current = url;
  for (let hop = 0; ; hop++) {
    try {
      const init: RequestInit = {
        headers: { "user-agent": CRAWLER_USER_AGENT, accept: "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5" },
        redirect: "manual",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      };
      res = await safeFetch(current, init, policy);
    } catch (err) {
      if (err instanceof BlockedDestinationError) throw refused(current, err);
      throw new FetchError(`could not reach ${current}: ${err instanceof Error ? err.message : "network error"}`, false);
    }
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (!location) break;
    if (hop >= MAX_REDIRECTS) throw new FetchError(`${url} redirects more than ${MAX_REDIRECTS} times`, true);
    const next = new URL(location, current);
    // Checked first, so the reason recorded is the address, not only that the site changed.
    const blocked = outboundRefusal(next, policy);
    if (blocked) throw new FetchError(`${url} redirects to a refused address: ${blocked}`, true);
    if (next.origin !== new URL(url).origin) throw new FetchError(`${url} redirects to another site (${next.origin})`, true);
    if (!(await allowedByRobots(next.toString(), policy))) throw new FetchError(`${url} redirects to ${next} which robots.txt disallows`, true);
    current = next.toString();
  }
  if (res.status === 404 || res.status === 410) throw new FetchError(`${url} was not found (HTTP ${res.status})`, true);
  if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new FetchError(`${url} refused the request (HTTP ${res.status})`, true);
  if (!res.ok) throw new FetchError(`${url} answered HTTP ${res.status}`, false);
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > MAX_FETCH_BYTES) throw new FetchError(`${url} is larger than ${MAX_FETCH_BYTES / 1024 / 1024} MB`, true);
  const bytes = await readLimited(res.body, MAX_FETCH_BYTES, () => new FetchError(`${url} is larger than ${MAX_FETCH_BYTES / 1024 / 1024} MB`, true));
  return { url: current, bytes, contentType: res.headers.get("content-type") ?? "" };
}

interface RobotsRules {
  allow: string[];
  disallow: string[];
  fetchedAt: number;
}

const robotsCache = new Map<string, RobotsRules>();

/** The rules of robots.txt that apply to us: our own group if present, else `*`. */
export function parseRobots(text: string): Omit<RobotsRules, "fetchedAt"> {
  const groups: { agents: string[]; allow: string[]; disallow: string[] }[] = [];
  let current: (typeof groups)[number] | null = null;
  let lastWasAgent = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*/, "").trim();
    const m = line.match(/^([A-Za-z-]+)\s*:\s*(.*)$/);
    if (!m) continue;
    const field = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    if (field === "user-agent") {
      if (!current || !lastWasAgent) {
        current = { agents: [], allow: [], disallow: [] };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      lastWasAgent = true;
      continue;
    }
    lastWasAgent = false;
    if (!current) continue;
    if (field === "allow" && value) current.allow.push(value);
    if (field === "disallow" && value) current.disallow.push(value);
  }
  const ours = groups.find((g) => g.agents.some((a) => a !== "*" && CRAWLER_USER_AGENT.toLowerCase().startsWith(a)));
  const any = groups.find((g) => g.agents.includes("*"));
  const group = ours ?? any;
  return { allow: group?.allow ?? [], disallow: group?.disallow ?? [] };
}

/** True when the rules let us fetch `path`: the longest matching rule wins, allow on a tie. */
export function robotsAllows(rules: Pick<RobotsRules, "allow" | "disallow">, path: string): boolean {
  const matchLength = (pattern: string) => {
    const anchored = pattern.endsWith("$");
    const body = (anchored ? pattern.slice(0, -1) : pattern).split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*");
    const m = path.match(new RegExp(`^${body}${anchored ? "$" : ""}`));
    return m ? pattern.length : -1;
  };
  const allow = Math.max(-1, ...rules.allow.map(matchLength));
  const disallow = Math.max(-1, ...rules.disallow.map(matchLength));
  return allow >= disallow;
}

/**
 * Whether robots.txt of `url`'s site lets us fetch it. As RFC 9309 says, a missing robots.txt
 * (4xx) allows everything and one that cannot be read (5xx, unreachable) allows nothing: we
 * throw a retryable `FetchError` then, so the document is tried again later instead of failing.
 */
export async function allowedByRobots(url: string, policy: OutboundPolicy): Promise<boolean> {
  const u = new URL(url);
  const blocked = outboundRefusal(u, policy);
  if (blocked) throw new FetchError(`${url} was not fetched: ${blocked}`, true);
  let rules = robotsCache.get(u.origin);
  if (!rules || Date.now() - rules.fetchedAt > ROBOTS_CACHE_MS) {
    let res: Response;
    try {
      res = await safeFetch(`${u.origin}/robots.txt`, { headers: { "user-agent": CRAWLER_USER_AGENT }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }, policy); // redirects followed, each hop checked
    } catch (err) {
      if (err instanceof BlockedDestinationError) throw refused(`${u.origin}/robots.txt`, err);
      throw new FetchError(`could not reach ${u.origin}: ${err instanceof Error ? err.message : "network error"}`, false);
    }
    if (res.status >= 500) throw new FetchError(`${u.origin}/robots.txt answered HTTP ${res.status}`, false);
    const text = res.ok ? await res.text() : "";
    rules = { ...parseRobots(text), fetchedAt: Date.now() };
    robotsCache.set(u.origin, rules);
  }
  return robotsAllows(rules, u.pathname + u.search);
}

/**
 * The form a page's URL is stored and compared in: absolute http(s), no `#fragment` (it names a
 * spot on the same page). Null for anything else (`mailto:`, `javascript:`, not a URL).
 */
export function normalizeUrl(href: string, base?: string | URL): string | null {
  let u: URL;
  try {
    u = new URL(href, base);
  } catch {
    return null;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return null;
  u.hash = "";
  return u.toString();
}

/** Same-site http(s) links of an HTML page, absolute, without fragments, de-duplicated; `rel=nofollow` links are left out. */
export async function extractLinks(html: string, baseUrl: string): Promise<string[]> {
  const base = new URL(baseUrl);
  const found = new Set<string>();
  const rewriter = new HTMLRewriter().on("a[href]", {
    element(el) {
      const href = el.getAttribute("href");
      const rel = el.getAttribute("rel") ?? "";
      if (!href || /\bnofollow\b/i.test(rel)) return;
      const url = normalizeUrl(href, base);
      if (url && new URL(url).origin === base.origin) found.add(url);
    },
  });
  await rewriter.transform(new Response(html, { headers: { "content-type": "text/html" } })).text();
  const self = normalizeUrl(baseUrl);
  if (self) found.delete(self); // `#top` and links to itself
  return [...found];
}

/** The page URLs listed by a sitemap (`<urlset>`) or sitemap index (`<sitemapindex>`). */
export function sitemapUrls(xml: string): { pages: string[]; sitemaps: string[] } {
  const locs = [...xml.matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/gi)].map((m) => decodeXmlEntities(m[1]!));
  return /<sitemapindex[\s>]/i.test(xml) ? { pages: [], sitemaps: locs } : { pages: locs, sitemaps: [] };
}

const XML_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/** The five predefined XML entities and numeric references, which sitemaps must use inside `<loc>`. */
function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
    if (name[0] !== "#") return XML_ENTITIES[name.toLowerCase()] ?? whole;
    const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** True when the fetched content is a sitemap rather than a page. */
export function isSitemap(page: FetchedPage): boolean {
  if (!/xml/i.test(page.contentType) && !page.url.endsWith(".xml")) return false;
  const head = new TextDecoder().decode(page.bytes.slice(0, 2_000));
  return /<(urlset|sitemapindex)[\s>]/i.test(head);
}
