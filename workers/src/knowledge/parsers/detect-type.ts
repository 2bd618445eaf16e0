import { decodeText } from "./decode-text";
import { ParseError } from "./parse-error";
import { listZipEntries, looksLikeZip } from "./zip-reader";

/**
 * What an uploaded file really is, judged by its bytes: a file is checked by its content, not
 * only by its name, so a program renamed `guide.pdf` is refused.
 *
 * Policy when name and content disagree: **the content decides.** A PDF named `notes.txt` is
 * read as a PDF, a Word document named `.pdf` as Word, a text file named `.pdf` as text: each
 * parser then only ever sees the format it was written for, and a mislabelled but harmless file
 * still works. Content that is none of our formats is refused, and if its name claimed one of
 * them the message says so. The name only breaks ties the bytes cannot: Markdown or plain text.
 */

/** A detected file: binary formats go to their parser as bytes, text formats come decoded. */
export type Detection = { type: "pdf" | "docx" } | { type: "html" | "markdown" | "text"; text: string };

const PDF_HEADER_WINDOW_BYTES = 1024; // readers accept junk before `%PDF-` within the first KB
const MAX_ZIP_ENTRIES = 5_000; // a DOCX has 10–50 parts, a few hundred with many images
const HTML_SNIFF_CHARS = 4096; // the head of a page: where doctype, <html> and <head> live
const UPLOAD_HINT = "Upload a PDF, Word (.docx), HTML, Markdown or plain-text file.";

/** Formats we refuse, by signature: what to call them, and whether they are programs. */
const SIGNATURES: readonly { magic: readonly number[] | string; at?: number; what: string; program?: boolean }[] = [
  { magic: [0x7f, 0x45, 0x4c, 0x46], what: "a Linux program (ELF)", program: true },
  { magic: [0xfe, 0xed, 0xfa, 0xce], what: "a macOS program (Mach-O)", program: true },
  { magic: [0xfe, 0xed, 0xfa, 0xcf], what: "a macOS program (Mach-O)", program: true },
  { magic: [0xce, 0xfa, 0xed, 0xfe], what: "a macOS program (Mach-O)", program: true },
  { magic: [0xcf, 0xfa, 0xed, 0xfe], what: "a macOS program (Mach-O)", program: true },
  { magic: [0xca, 0xfe, 0xba, 0xbe], what: "a macOS or Java program", program: true },
  { magic: [0x00, 0x61, 0x73, 0x6d], what: "a WebAssembly program", program: true },
  { magic: "dex\n", what: "an Android program", program: true },
  { magic: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], what: "an old-format Office file (.doc, .xls or .ppt); open it and save it as .docx or PDF" },
  { magic: "{\\rtf", what: "an RTF document; open it and save it as .docx or PDF" },
  { magic: "%!PS", what: "a PostScript file; convert it to PDF" },
  { magic: [0x1f, 0x8b], what: "a compressed archive (gzip)" },
  { magic: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], what: "a compressed archive (7z)" },
  { magic: "Rar!\u001a\u0007", what: "a compressed archive (RAR)" },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: "a compressed archive (xz)" },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: "a compressed archive (zstd)" },
  { magic: "ustar", at: 257, what: "an archive (tar)" },
  { magic: "MSCF\u0000", what: "an archive (cab)" },
  { magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], what: "an image (PNG)" },
  { magic: [0xff, 0xd8, 0xff], what: "an image (JPEG)" },
  { magic: "GIF8", what: "an image (GIF)" },
  { magic: "WEBP", at: 8, what: "an image (WebP)" },
  { magic: [0x49, 0x49, 0x2a, 0x00], what: "an image (TIFF)" },
  { magic: [0x4d, 0x4d, 0x00, 0x2a], what: "an image (TIFF)" },
  { magic: "8BPS", what: "an image (Photoshop)" },
  { magic: "ftypheic", at: 4, what: "an image (HEIC)" },
  { magic: "ftypavif", at: 4, what: "an image (AVIF)" },
  { magic: "ftyp", at: 4, what: "a video or audio file" },
  { magic: "WAVE", at: 8, what: "an audio file (WAV)" },
  { magic: "AVI ", at: 8, what: "a video file (AVI)" },
  { magic: "OggS", what: "an audio or video file (Ogg)" },
  { magic: "fLaC", what: "an audio file (FLAC)" },
  { magic: [0x1a, 0x45, 0xdf, 0xa3], what: "a video file (Matroska/WebM)" },
  { magic: "SQLite format 3\u0000", what: "a database file (SQLite)" },
];

/** What `bytes` are, checked by content; throws a `ParseError` saying why a file is refused. */
export function detectType(bytes: Uint8Array, filename = ""): Detection {
  const quoted = filename.trim() ? `“${filename.trim()}”` : "The file";
  const extension = extensionOf(filename);
  if (bytes.length === 0) throw new ParseError("empty", `${quoted} is empty.`);

  if (isWindowsProgram(bytes)) throw refusal(quoted, "a Windows program (.exe or .dll)", true);
  if (findAscii(bytes, "%PDF-", PDF_HEADER_WINDOW_BYTES) >= 0) return { type: "pdf" };
  if (looksLikeZip(bytes)) return detectZip(bytes, quoted, extension);
  for (const signature of SIGNATURES) {
    if (matches(bytes, signature.magic, signature.at ?? 0)) throw refusal(quoted, signature.what, signature.program ?? false);
  }

  const text = decodeText(bytes);
  if (text === null) {
    const claimed = claimedFormat(extension);
    if (claimed) throw new ParseError("type_mismatch", `${quoted} is named like ${claimed}, but its content is not one. ${UPLOAD_HINT}`);
    throw new ParseError("unsupported_type", `${quoted} is not a document we can read: it contains binary data. ${UPLOAD_HINT}`);
  }
  if (text.trim() === "") throw new ParseError("empty", `${quoted} has no text in it.`);
  return { type: textType(text, extension), text };
}

/** Lower-case extension of `filename` without the dot, or "". */
export function extensionOf(filename: string): string {
  const base = filename.trim().split(/[\\/]/).pop() ?? "";
  const dot = base.lastIndexOf(".");
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : "";
}

function detectZip(bytes: Uint8Array, quoted: string, extension: string): Detection {
  let names: string[];
  try {
    names = listZipEntries(bytes, { maxEntries: MAX_ZIP_ENTRIES, label: extension === "docx" ? "Word document" : "ZIP file" }).map((e) => e.name);
  } catch (error) {
    if (error instanceof ParseError && (extension === "docx" || error.code === "too_large")) throw error;
    throw refusal(quoted, "a ZIP archive", false);
  }
  if (names.includes("word/document.xml")) return { type: "docx" };
  if (names.some((n) => n.startsWith("xl/"))) throw refusal(quoted, "an Excel spreadsheet; export it as PDF", false);
  if (names.some((n) => n.startsWith("ppt/"))) throw refusal(quoted, "a PowerPoint presentation; export it as PDF", false);
  if (names.includes("content.xml") && names.includes("mimetype")) throw refusal(quoted, "an OpenDocument file; save it as .docx or PDF", false);
  if (extension === "docx") throw new ParseError("type_mismatch", `${quoted} is named like a Word document, but it is a ZIP archive without a document inside.`);
  throw refusal(quoted, "a ZIP archive", false);
}

/** HTML when the content says so whatever the name; then the name; then Markdown's marks. */
function textType(text: string, extension: string): "html" | "markdown" | "text" {
  const head = text.slice(0, HTML_SNIFF_CHARS).replace(/^\uFEFF/, "").trimStart();
  if (/^(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i.test(head)) return "html";
  if (["md", "markdown", "mdown", "mkd", "mdx"].includes(extension)) return "markdown";
  if (["html", "htm", "xhtml"].includes(extension)) return "html";
  if (extension === "txt" || extension === "text") return "text";
  if ((head.match(/<(?:head|body|title|meta|div|p|h[1-6]|table|ul|article|section)[\s>]/gi)?.length ?? 0) >= 2) return "html";
  return looksLikeMarkdown(text) ? "markdown" : "text";
}

/** Front matter, an ATX heading, a fenced code block, or a link in Markdown syntax. */
function looksLikeMarkdown(text: string): boolean {
  const head = text.slice(0, 65_536);
  return /^---\r?\n[\s\S]*?\r?\n---\r?\n/.test(head) || /^#{1,6}[ \t]+\S/m.test(head) || /^```/m.test(head) || /\[[^\]\n]+\]\([^)\s]+\)/.test(head);
}

/** "MZ" followed by what no text file has: binary header fields with NUL bytes. */
function isWindowsProgram(bytes: Uint8Array): boolean {
  return bytes[0] === 0x4d && bytes[1] === 0x5a && bytes.subarray(0, 64).includes(0);
}

function claimedFormat(extension: string): string | null {
  if (extension === "pdf") return "a PDF";
  if (extension === "docx") return "a Word document";
  if (["html", "htm", "md", "markdown", "txt"].includes(extension)) return "a text file";
  return null;
}

function refusal(quoted: string, what: string, program: boolean): ParseError {
  const reason = program ? `${quoted} is ${what}, not a document, whatever its name says.` : `${quoted} is ${what}, which cannot be used as a knowledge document.`;
  return new ParseError("unsupported_type", `${reason} ${UPLOAD_HINT}`);
}

function matches(bytes: Uint8Array, magic: readonly number[] | string, at: number): boolean {
  if (typeof magic === "string") return findAscii(bytes.subarray(at, at + magic.length), magic, 1) === 0;
  return magic.every((byte, i) => bytes[at + i] === byte);
}

/** Offset of the ASCII string `needle` starting within the first `window` bytes, or -1. */
function findAscii(bytes: Uint8Array, needle: string, window: number): number {
  const last = Math.min(window, bytes.length - needle.length + 1);
  outer: for (let at = 0; at < last; at++) {
    for (let i = 0; i < needle.length; i++) if (bytes[at + i] !== needle.charCodeAt(i)) continue outer;
    return at;
  }
  return -1;
}
