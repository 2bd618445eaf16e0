/**
 * SendGrid Inbound Parse posts each received email as `multipart/form-data`: `from`, `to`,
 * `cc`, `subject`, `text`, `html`, `headers` (the raw header block), `envelope` (JSON),
 * `attachments` (a count), `attachment-info` (JSON), the files `attachment1…N`, and the
 * results of SendGrid's sender checks: `SPF` and `dkim`.
 * https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook
 */
import { parseAddressList, parseMailbox, type Mailbox } from "./addresses";
import { parseDkim, parseSpf, type SenderAuthResults } from "./sender-auth";

/** One inbound email, as much of it as the assistant needs. */
export interface InboundEmail {
  from: Mailbox;
  to: string[];
  subject: string;
  text: string;
  html: string;
  /** Header name (lower case) → value of its first occurrence, unfolded. */
  headers: Map<string, string>;
  envelope: { from: string | null; to: string[] };
  attachments: File[];
  /** SendGrid's SPF and DKIM results (judged in `sender-auth.ts`). */
  auth: SenderAuthResults;
}

/** Header lines with continuation lines folded back in. */
export function parseHeaderBlock(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const unfolded = block.replace(/\r\n?/g, "\n").replace(/\n[ \t]+/g, " ");
  for (const line of unfolded.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

function field(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v : "";
}

function parseEnvelope(raw: string): { from: string | null; to: string[] } {
  try {
    const e = JSON.parse(raw) as { from?: unknown; to?: unknown };
    return {
      from: typeof e.from === "string" ? e.from.toLowerCase() : null,
      to: Array.isArray(e.to) ? e.to.filter((t): t is string => typeof t === "string").map((t) => t.toLowerCase()) : [],
    };
  } catch {
    return { from: null, to: [] };
  }
}

/** Reads an Inbound Parse form; null when it has no usable sender. */
export function readInboundEmail(form: FormData): InboundEmail | null {
  const headers = parseHeaderBlock(field(form, "headers"));
  const envelope = parseEnvelope(field(form, "envelope"));
  const from = parseMailbox(field(form, "from") || headers.get("from")) ?? (envelope.from ? { email: envelope.from, name: null } : null);
  if (!from) return null;
  const count = Number(field(form, "attachments")) || 0;
  const attachments: File[] = [];
  for (let i = 1; i <= count; i++) {
    const file = form.get(`attachment${i}`);
    if (file && typeof file !== "string") attachments.push(file);
  }
  return {
    from,
    to: parseAddressList(field(form, "to") || headers.get("to")),
    subject: field(form, "subject") || headers.get("subject") || "",
    text: field(form, "text"),
    html: field(form, "html"),
    headers,
    envelope,
    attachments,
    auth: { spf: parseSpf(field(form, "SPF") || field(form, "spf")), dkim: parseDkim(field(form, "dkim")) },
  };
}

/**
 * Mail that must not be answered: auto-replies, bulk and list mail, bounces. Answering those is
 * how two robots end up writing to each other forever.
 */
export function isAutomated(email: InboundEmail): boolean {
  const h = email.headers;
  const autoSubmitted = h.get("auto-submitted");
  if (autoSubmitted && autoSubmitted.toLowerCase() !== "no") return true;
  if (/^(bulk|junk|list|auto_reply)$/i.test(h.get("precedence") ?? "")) return true;
  if (h.has("x-autoreply") || h.has("x-autorespond") || h.has("list-id") || h.has("list-unsubscribe")) return true;
  return /^(mailer-daemon|postmaster|no-?reply)@/i.test(email.from.email);
}
