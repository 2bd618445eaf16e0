/**
 * Whether an inbound email really comes from the domain in its `From`. SendGrid Inbound Parse
 * checks SPF and DKIM on receipt and posts the results: `SPF` (`pass`, `fail`, `softfail`,
 * `neutral`, `none`…) and `dkim`, one `@domain : result` per signature, e.g.
 * `{@example.com : pass, @sendgrid.net : fail}`. Anyone can write any `From`, so a sender with
 * neither is not answered by the assistant: the answer would go to whoever was impersonated.
 */

/** One DKIM signature's result, by signing domain. */
export interface DkimResult {
  domain: string;
  result: string;
}

/** SendGrid's SPF and DKIM results for one email. */
export interface SenderAuthResults {
  /** The SPF result word, lower case; null when SendGrid sent none. */
  spf: string | null;
  dkim: DkimResult[];
}

/** What the checks say about the `From` address. */
export interface SenderVerdict {
  verified: boolean;
  /** A short line for people and logs, e.g. `SPF fail; DKIM none for customer.test`. */
  summary: string;
}

/** The `dkim` field: `{@a.com : pass, @b.com : fail}` (braces and spaces optional). */
export function parseDkim(raw: string | null | undefined): DkimResult[] {
  if (!raw) return [];
  return [...raw.matchAll(/@([a-z0-9.-]+)\s*:\s*([a-z]+)/gi)].map((m) => ({ domain: m[1]!.toLowerCase().replace(/\.$/, ""), result: m[2]!.toLowerCase() }));
}

/** The `SPF` field's result word (`pass`, `softfail`…), or null when absent. */
export function parseSpf(raw: string | null | undefined): string | null {
  const word = raw?.trim().match(/^[a-z]+/i)?.[0];
  return word ? word.toLowerCase() : null;
}

/** The domain of an address, lower case; empty when it has none. */
function domainOf(address: string | null): string {
  const at = address?.lastIndexOf("@") ?? -1;
  return at >= 0 ? address!.slice(at + 1).toLowerCase().replace(/[>\s.]+$/, "") : "";
}

/**
 * Relaxed alignment as DMARC has it, approximated without a public-suffix list: the same domain,
 * or one a subdomain of the other (`mail.customer.test` signs for `customer.test`).
 */
function aligned(a: string, b: string): boolean {
  if (!a || !b) return false;
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/**
 * Verified when a DKIM signature of the `From` domain passed, or SPF passed for an envelope
 * sender of that domain (SPF checks the envelope, which a forger sets to their own domain while
 * writing someone else's `From`).
 */
export function judgeSender(fromAddress: string, envelopeFrom: string | null, results: SenderAuthResults): SenderVerdict {
  const fromDomain = domainOf(fromAddress);
  const dkimPass = results.dkim.some((d) => d.result === "pass" && aligned(d.domain, fromDomain));
  const spfPass = results.spf === "pass" && aligned(domainOf(envelopeFrom), fromDomain);
  const dkimText = results.dkim.length === 0 ? "none" : results.dkim.map((d) => `${d.result} for ${d.domain}`).join(", ");
  const spfText = results.spf === null ? "none" : results.spf === "pass" && !spfPass ? `pass for another domain (${domainOf(envelopeFrom) || "unknown"})` : results.spf;
  return { verified: dkimPass || spfPass, summary: `SPF ${spfText}; DKIM ${dkimText}; From domain ${fromDomain || "unknown"}` };
}
