import { detectType } from "./detect-type";
import { parseDocx } from "./docx";
import { parseHtml } from "./html";
import { parseMarkdown } from "./markdown";
import { formatSize, ParseError } from "./parse-error";
import { parsePdf, type PdfOptions } from "./pdf";
import { parsePlainText } from "./plain-text";
import { MAX_TEXT_CHARS, SectionBuilder } from "./section-builder";
import type { FileType, ParsedDocument } from "./types";

/**
 * The one call ingestion makes: an uploaded file's bytes in, its type (by content) and
 * structured text out, or a `ParseError` whose message can be shown to the uploader as is.
 */

/** The upload limit of the documents API. */
export const MAX_FILE_BYTES = 25 * 1024 * 1024;

/** Limits for one file; the defaults are the upload limits. */
export interface ParseOptions {
  /** Bytes the file may have. Default `MAX_FILE_BYTES`. */
  maxFileBytes?: number;
  /** Characters of text the document may have. Default `MAX_TEXT_CHARS`. */
  maxChars?: number;
  /** Page and time limits for PDFs. */
  pdf?: PdfOptions;
}

/** A parsed file and what it turned out to be. */
export interface ParsedFile extends ParsedDocument {
  type: FileType;
}

/** Detects what `bytes` are (the name only tells Markdown from plain text) and parses them. */
export async function parseDocument(bytes: Uint8Array, filename = "", options: ParseOptions = {}): Promise<ParsedFile> {
  const maxFileBytes = options.maxFileBytes ?? MAX_FILE_BYTES;
  if (bytes.length > maxFileBytes) {
    throw new ParseError("too_large", `The file is ${formatSize(bytes.length)}; the limit is ${formatSize(maxFileBytes)}. Split it into smaller files.`);
  }
  const detected = detectType(bytes, filename);
  const builder = new SectionBuilder(options.maxChars ?? MAX_TEXT_CHARS);
  let parsed: ParsedDocument;
  switch (detected.type) {
    case "pdf":
      parsed = await parsePdf(bytes, options.pdf, builder);
      break;
    case "docx":
      parsed = parseDocx(bytes, builder);
      break;
    case "html":
      parsed = await parseHtml(detected.text, builder);
      break;
    case "markdown":
      parsed = parseMarkdown(detected.text, builder);
      break;
    case "text":
      parsed = parsePlainText(detected.text, builder);
      break;
  }
  if (parsed.sections.length === 0) throw new ParseError("empty", "The file has no readable text in it.");
  return { type: detected.type, ...parsed };
}
