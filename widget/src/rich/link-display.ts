/**
 * How a link in a message shows where it goes. A Markdown link's text is free, so an answer
 * (or a passage it quotes) could label a link to one site with another site's address:
 * `[https://bank.example](https://evil.example)`. A link therefore always shows its real
 * destination: its label stays when it already names that destination and nothing else, the
 * destination is shown beside a label of ordinary words, and it replaces a label that names
 * somewhere else.
 */

/** Where the destination goes: nowhere extra, beside the label, or instead of it. */
export type LinkShow = "label" | "beside" | "instead";

/** The decision for one link. */
export interface LinkDisplay {
  show: LinkShow;
  /** Shown beside a label: the host (an IDN in its `xn--` form) or the mail address. */
  destination: string;
  /** Shown instead of a misleading label: the whole URL, or the mail address. */
  fullDestination: string;
}

// Something in a label that reads as an address: a URL, a host name or an email address. The
// last part must be two or more characters with a letter, so "e.g." and "v1.2" are words.
const ADDRESS =
  /(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[\p{L}\p{N}._%+-]+@)?(?:[\p{L}\p{N}-]+\.)+(?=[\p{L}\p{N}-]{2,})[\p{L}\p{N}-]*\p{L}[\p{L}\p{N}-]*/giu;
const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** A host name as compared: as a URL parser writes it (lower case, `xn--`), without `www.` or a final dot. */
function canonicalHost(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname.replace(/\.$/, "").replace(/^www\./, "");
  } catch {
    return null;
  }
}

/** `user@host` with the host canonical, or null. */
function canonicalAddress(address: string): string | null {
  const at = address.lastIndexOf("@");
  const host = at > 0 ? canonicalHost(address.slice(at + 1)) : null;
  return host ? `${address.slice(0, at).toLowerCase()}@${host}` : null;
}

/** What an address written in a label names: an email address, or a host. */
function named(token: string): string | null {
  if (!SCHEME.test(token) && token.includes("@")) return canonicalAddress(token);
  return canonicalHost(token.replace(SCHEME, "").replace(/^[^@]*@/, ""));
}

/** How to show a link labelled `label` (its plain text) that goes to `href`, an http(s) or mailto URL. */
export function linkDisplay(label: string, href: string): LinkDisplay {
  const url = new URL(href);
  if (url.protocol === "mailto:") {
    const address = decodeURIComponent(url.pathname);
    return decide(label, canonicalAddress(address), { destination: address, fullDestination: address });
  }
  return decide(label, canonicalHost(url.host), { destination: url.host, fullDestination: url.href });
}

function decide(label: string, real: string | null, shown: Omit<LinkDisplay, "show">): LinkDisplay {
  const names = [...label.matchAll(ADDRESS)].map((m) => named(m[0]));
  if (names.length === 0) return { show: "beside", ...shown };
  const honest = real !== null && names.every((n) => n === real);
  return { show: honest ? "label" : "instead", ...shown };
}
