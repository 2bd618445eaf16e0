import { cleanInline, cleanText } from "./clean-text";
import { ParseError } from "./parse-error";
import type { ParsedDocument, ParsedSection } from "./types";

/**
 * Collects what a parser reads (headings, paragraphs, lines) into the `ParsedDocument` shape and
 * stops a document whose text runs past the character limit, whatever its format.
 */

/** ≈500k tokens or ≈1,000 dense pages: past that a file is a library, not a help document, and embedding it would take the ingestion queue's whole time budget. */
export const MAX_TEXT_CHARS = 2_000_000;
const MAX_TITLE_CHARS = 300; // a title longer than this is a paragraph that came first
const LAST_HEADING_LEVEL = 6; // HTML's and Markdown's deepest; deeper outlines fold into it

/** Builds a `ParsedDocument` one heading, paragraph or line at a time. */
export class SectionBuilder {
  readonly #maxChars: number;
  readonly #sections: ParsedSection[] = [];
  #heading: string | null = null;
  #level = 0;
  #paragraphs: string[] = [];
  #lines: string[] = [];
  #chars = 0;

  constructor(maxChars: number = MAX_TEXT_CHARS) {
    this.#maxChars = maxChars;
  }

  /** Characters of text the document may have. */
  get maxChars(): number {
    return this.#maxChars;
  }

  /** Starts a section under `text` (level 1 outermost); an empty heading starts nothing. */
  heading(level: number, text: string): void {
    const heading = cleanInline(text);
    if (heading === "") return;
    this.#endSection();
    this.#count(heading.length);
    this.#heading = heading;
    this.#level = Math.min(Math.max(Math.round(level), 1), LAST_HEADING_LEVEL);
  }

  /** Adds a line to the paragraph being built (a list item, a table row, a line of code). */
  line(text: string): void {
    const line = cleanText(text);
    if (line === "") return;
    this.#count(line.length + 1);
    this.#lines.push(line);
  }

  /** Adds `text` as a paragraph of its own. */
  paragraph(text: string): void {
    this.endParagraph();
    this.line(text);
    this.endParagraph();
  }

  /** Closes the paragraph being built; the next line starts a new one. */
  endParagraph(): void {
    if (this.#lines.length > 0) this.#paragraphs.push(this.#lines.join("\n"));
    this.#lines = [];
  }

  /** The document so far. Sections with no text are left out: a heading alone says nothing. */
  build(title?: string): ParsedDocument {
    this.#endSection();
    const cleanTitle = title === undefined ? "" : cleanInline(title).slice(0, MAX_TITLE_CHARS).trim();
    return cleanTitle === "" ? { sections: this.#sections } : { title: cleanTitle, sections: this.#sections };
  }

  #endSection(): void {
    this.endParagraph();
    const text = this.#paragraphs.join("\n\n");
    if (text !== "") this.#sections.push({ heading: this.#heading, level: this.#level, text });
    this.#paragraphs = [];
  }

  #count(chars: number): void {
    this.#chars += chars;
    if (this.#chars > this.#maxChars) throw textTooLarge(this.#maxChars);
  }
}

/** The error for a document with more than `maxChars` characters of text. */
export function textTooLarge(maxChars: number): ParseError {
  return new ParseError(
    "too_large",
    `The document has more than ${maxChars.toLocaleString("en-US")} characters of text, the limit for one document. Split it into smaller files.`,
  );
}
