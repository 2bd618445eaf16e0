import { getResolvedPDFJS } from "unpdf";
import { ParseError } from "./parse-error";
import { buildFromPages, pageLines, type PdfLine, type PdfTextRun } from "./pdf-layout";
import { SectionBuilder, textTooLarge } from "./section-builder";
import type { ParsedDocument } from "./types";

/**
 * PDF files to sections, with pdf.js in the serverless build `unpdf` ships (no worker thread, no
 * canvas, no `eval`: it runs as is in workerd). Text is read page by page under three guards:
 * a page limit checked before any page is read, the shared character limit checked after each
 * page, and a wall-clock limit checked between pages and raced against every pdf.js call.
 * The layout is turned into headings and paragraphs by `pdf-layout.ts`.
 */

/** A 500-page manual is a large one; past that the file is a book or a scan dump. */
export const MAX_PDF_PAGES = 500;
/** Leaves most of a queue consumer's 30 s CPU budget for chunking and embedding. */
export const PDF_TIME_LIMIT_MS = 20_000;
const UNTITLED = /^(?:untitled|document\d*|microsoft (?:word|powerpoint) - .*|.*\.(?:docx?|pdf|pptx?|indd|tmp))$/i; // placeholders tools write into the Title field

/** Limits for one PDF; the defaults suit uploads. */
export interface PdfOptions {
  /** Pages the PDF may have. Default `MAX_PDF_PAGES`. */
  maxPages?: number;
  /** Milliseconds the whole extraction may take. Default `PDF_TIME_LIMIT_MS`. */
  timeLimitMs?: number;
}

/** Title and sections of a PDF file. */
export async function parsePdf(bytes: Uint8Array, options: PdfOptions = {}, builder: SectionBuilder = new SectionBuilder()): Promise<ParsedDocument> {
  const maxPages = options.maxPages ?? MAX_PDF_PAGES;
  const timeLimitMs = options.timeLimitMs ?? PDF_TIME_LIMIT_MS;
  const startedAt = Date.now();
  const timeout = () => new ParseError("timeout", `Reading the PDF took longer than ${Math.round(timeLimitMs / 1000)} seconds, so it was stopped. Try splitting it into smaller files.`);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout()), timeLimitMs);
  });
  expired.catch(() => undefined); // only ever awaited through `within`

  const within = <T>(work: Promise<T>): Promise<T> => Promise.race([work, expired]);
  const { getDocument } = await getResolvedPDFJS();
  const task = getDocument({
    data: bytes.slice(), // pdf.js may take ownership of (detach) the buffer it is given
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    useWorkerFetch: false,
    isOffscreenCanvasSupported: false,
    enableXfa: false,
    stopAtErrors: false,
    verbosity: 0, // errors only: font warnings of a malformed file are not ours to log
  });
  try {
    const pdf = await within(task.promise);
    if (pdf.numPages > maxPages) {
      throw new ParseError(
        "too_large",
        `The PDF has ${pdf.numPages.toLocaleString("en-US")} pages; the limit is ${maxPages.toLocaleString("en-US")}. Split it into smaller files.`,
      );
    }
    const pages: PdfLine[][] = [];
    let chars = 0;
    for (let number = 1; number <= pdf.numPages; number++) {
      const page = await within(pdf.getPage(number));
      const content = await within(page.getTextContent());
      page.cleanup();
      const lines = pageLines(content.items.flatMap(toRun));
      pages.push(lines);
      chars += lines.reduce((sum, line) => sum + line.text.length + 1, 0);
      if (chars > builder.maxChars) throw textTooLarge(builder.maxChars);
      // Give the deadline's timer a chance to fire, then check the clock ourselves as well.
      await new Promise((resolve) => setTimeout(resolve, 0));
      if (Date.now() - startedAt > timeLimitMs) throw timeout();
    }
    if (chars === 0) {
      throw new ParseError(
        "empty",
        "The PDF has no selectable text: it is probably scanned pages or images. Run it through text recognition (OCR) and upload the result.",
      );
    }
    const firstHeading = buildFromPages(pages, builder);
    const declared = await within(pdf.getMetadata()).then(metadataTitle, () => undefined);
    return builder.build(declared ?? firstHeading);
  } catch (error) {
    throw asParseError(error);
  } finally {
    clearTimeout(timer);
    await task.destroy().catch(() => undefined);
  }
}

/** The run of a pdf.js text item; marked-content markers have no text and give none. */
function toRun(item: object): PdfTextRun[] {
  if (!("str" in item) || typeof item.str !== "string" || !("transform" in item) || !Array.isArray(item.transform)) return [];
  const [a, b, c, d, e, f] = item.transform.map(Number);
  const width = "width" in item && typeof item.width === "number" ? item.width : 0;
  return [
    {
      text: item.str,
      x: e ?? 0,
      y: f ?? 0,
      width,
      size: Math.hypot(c ?? 0, d ?? 0) || Math.hypot(a ?? 0, b ?? 0),
      endOfLine: "hasEOL" in item && item.hasEOL === true,
    },
  ];
}

function metadataTitle(metadata: { info: object }): string | undefined {
  const title = "Title" in metadata.info && typeof metadata.info.Title === "string" ? metadata.info.Title.trim() : "";
  return title === "" || UNTITLED.test(title) ? undefined : title;
}

/** pdf.js failures in words a business user can act on. */
function asParseError(error: unknown): ParseError {
  if (error instanceof ParseError) return error;
  const name = error instanceof Error ? error.name : "";
  if (name === "PasswordException") return new ParseError("encrypted", "The PDF is password-protected. Remove the password and upload it again.", { cause: error });
  if (name === "InvalidPDFException") {
    return new ParseError("corrupt", "The PDF is damaged and cannot be read. Open it, save or export it again as PDF, and upload the new copy.", { cause: error });
  }
  return new ParseError("corrupt", "The PDF could not be read: it looks damaged or uses features we cannot read. Try exporting it again as PDF.", { cause: error });
}
