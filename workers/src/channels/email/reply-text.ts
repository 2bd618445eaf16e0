/**
 * The new part of an email reply: quoted history ("On … wrote:", `>` lines, Outlook's
 * "From: … Sent: …" block) and signatures ("-- ", "Sent from my iPhone", a closing with a name)
 * are cut, so the assistant answers the question and not the thread.
 */
import { decodeHTML } from "entities";

/** Lines that start the quoted history, in the languages mail clients write them in. */
const QUOTE_HEADERS: RegExp[] = [
  /^On\s.+\swrote:$/i,
  /^Le\s.+\sa écrit\s?:$/i,
  /^Am\s.+\sschrieb\s.+:$/i,
  /^El\s.+\sescribió:$/i,
  /^Em\s.+\sescreveu:$/i,
  /^Il\s.+\sha scritto:$/i,
  /^Op\s.+\sschreef\s.+:$/i,
  /^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}$/i,
  /^_{20,}$/,
];
/** Signature openers: everything from here on is the sender's signature. */
const SIGNATURE_STARTS: RegExp[] = [/^--\s?$/, /^Sent from my\s/i, /^Get Outlook for\s/i, /^Sent from (Mail|Yahoo Mail|Outlook)\b/i, /^Envoyé de mon\s/i];
/** A closing line; cut when only a short name block follows it. */
const CLOSING = /^(thanks?( you| so much)?|many thanks|cheers|best|best wishes|(kind |warm |best )?regards|sincerely|merci|danke|gracias|saludos|cordialement)[,.!]?$/i;
const MAX_SIGNATURE_LINES = 4; // a name, a title, a company, a phone number
const MAX_SIGNATURE_LINE_CHARS = 60;

/** Outlook's header block: a `From:` line with `Sent:`/`Date:` and `To:`/`Subject:` right after. */
function isOutlookHeader(lines: string[], i: number): boolean {
  if (!/^\*?From:\*?\s/i.test(lines[i]!)) return false;
  const next = lines.slice(i + 1, i + 5).join("\n");
  return /^\*?(Sent|Date):/im.test(next) && /^\*?(To|Subject):/im.test(next);
}

/** Plain text of an HTML email, with quoted blocks removed. */
export function htmlToText(html: string): string {
  return decodeHTML(
    html
      .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, "")
      .replace(/<blockquote[\s\S]*?<\/blockquote>/gi, "")
      .replace(/<div[^>]*class="[^"]*gmail_quote[\s\S]*$/i, "")
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/(p|div|li|h[1-6]|tr)>/gi, "\n")
      .replace(/<[^>]+>/g, ""),
  )
    .replace(/[ \t]+\n/g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** The text the sender just wrote, without the quoted thread or their signature. */
export function extractReply(text: string): string {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    // "On Tue, 4 Mar 2025 at 10:02, Ann <ann@example.com>" is often wrapped before "wrote:".
    const joined = i + 1 < lines.length ? `${line} ${lines[i + 1]!.trim()}` : line;
    if (QUOTE_HEADERS.some((re) => re.test(line)) || (/^On\s/i.test(line) && /\swrote:$/i.test(joined)) || isOutlookHeader(lines, i)) {
      end = i;
      break;
    }
    if (SIGNATURE_STARTS.some((re) => re.test(lines[i]!))) {
      end = i;
      break;
    }
  }
  let kept = lines.slice(0, end).filter((l) => !/^\s*>/.test(l));
  for (let i = kept.length - 1; i >= 0; i--) {
    if (!CLOSING.test(kept[i]!.trim())) continue;
    const after = kept.slice(i + 1).filter((l) => l.trim() !== "");
    if (after.length <= MAX_SIGNATURE_LINES && after.every((l) => l.trim().length <= MAX_SIGNATURE_LINE_CHARS)) kept = kept.slice(0, i);
    break;
  }
  return kept.join("\n").replace(/\n{3,}/g, "\n\n").trim();
}
