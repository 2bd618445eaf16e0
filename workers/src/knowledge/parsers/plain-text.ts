import { SectionBuilder } from "./section-builder";
import type { ParsedDocument } from "./types";

/**
 * Plain text to sections: paragraphs are separated by blank lines and keep their line breaks.
 * A short first line standing alone, without closing punctuation, reads as the title, as a
 * document's first line usually is; it then also heads the text under it, as a Markdown
 * `# Title` would.
 */

const MAX_TITLE_LINE_CHARS = 100; // longer first lines are sentences, not titles

/** Title and sections of a plain-text document. */
export function parsePlainText(source: string, builder: SectionBuilder = new SectionBuilder()): ParsedDocument {
  const paragraphs = source
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t\u00A0]*\n/)
    .map((p) => p.trim())
    .filter((p) => p !== "");

  let title: string | undefined;
  const first = paragraphs[0];
  if (first !== undefined && paragraphs.length > 1 && isTitleLine(first)) {
    title = first;
    builder.heading(1, first);
    paragraphs.shift();
  }
  for (const paragraph of paragraphs) {
    for (const line of paragraph.split("\n")) builder.line(line);
    builder.endParagraph();
  }
  return builder.build(title);
}

function isTitleLine(paragraph: string): boolean {
  return !paragraph.includes("\n") && paragraph.length <= MAX_TITLE_LINE_CHARS && !/[.,;:!?…]$/.test(paragraph);
}
