/**
 * Text hygiene shared by every parser: what comes out is NFC, has no control characters, no odd
 * spaces and no runs of blank lines, whatever the file's origin (a PDF's soft hyphens, a Word
 * document's non-breaking spaces, a Windows text file's CRLFs).
 */

/** C0/C1 controls except tab and newline, BOMs, soft hyphens and unpaired surrogates. */
const INVISIBLE = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F\u00AD\uFEFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Line and paragraph separators that are line breaks in everything but name. */
const LINE_BREAKS = /\r\n?|[\f\u2028\u2029]/g;
/** Tabs, no-break and typographic spaces: all read as one plain space. */
const SPACES = /[\t\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000 ]+/g;

/** `text` with clean characters and single spaces, line breaks kept, each line trimmed. */
export function cleanText(text: string): string {
  return text
    .replace(LINE_BREAKS, "\n")
    .replace(INVISIBLE, "")
    .normalize("NFC")
    .split("\n")
    .map((line) => line.replace(SPACES, " ").trim())
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** `text` on one line: every run of whitespace, line breaks included, becomes a single space. */
export function cleanInline(text: string): string {
  return cleanText(text).replace(/\s+/g, " ");
}
