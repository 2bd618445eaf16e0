/**
 * The shape every parser returns: a document as an ordered list of sections, so the chunker can
 * keep each passage with the heading it sits under.
 *
 * - A section starts at a heading (`level` 1–6, 1 the outermost) and runs to the next heading of
 *   any level. Text before the first heading is a section with `heading: null` and `level: 0`.
 * - `text` holds the section's paragraphs separated by a blank line (`"\n\n"`); lines that belong
 *   together (list items, table rows, lines of a code block) are separated by a single `"\n"`.
 *   Table rows read as their cells joined by `" | "`.
 * - Text is clean: Unicode NFC, no control characters, no runs of spaces, no empty sections.
 */

/** What a file turned out to be once its bytes were read; matches the documents' `source_type`. */
export type FileType = "pdf" | "docx" | "html" | "markdown" | "text";

/** A heading and the text under it, up to the next heading. */
export interface ParsedSection {
  heading: string | null;
  /** 1–6 for a heading (1 outermost), 0 for text before the first heading. */
  level: number;
  text: string;
}

/** A document reduced to its title and structured text. */
export interface ParsedDocument {
  title?: string;
  sections: ParsedSection[];
}
