import type { SectionBuilder } from "./section-builder";

/**
 * Recovering structure from a PDF's positioned text. A PDF has no paragraphs or headings, only
 * strings drawn at coordinates in a font size; this module rebuilds what a reader sees:
 * lines (strings on one baseline), table rows (strings separated by wide gaps), headings (lines
 * set clearly larger than the body text, one level per size), paragraphs (lines without a wider
 * gap between them), and drops running headers and footers repeated on most pages.
 */

/** A string drawn on a page: what pdf.js reports for each text item. */
export interface PdfTextRun {
  text: string;
  /** Left edge and baseline, in PDF units from the bottom-left corner. */
  x: number;
  y: number;
  width: number;
  /** Font size after the text matrix is applied. */
  size: number;
  /** pdf.js saw a line break after this run. */
  endOfLine: boolean;
}

/** One line of a page: its text, largest font size and baseline, and whether it reads as a table row. */
export interface PdfLine {
  text: string;
  size: number;
  y: number;
  isRow: boolean;
}

const SAME_LINE_EM = 0.5; // baselines closer than half a font size are one line (superscripts, mixed fonts)
const WORD_GAP_EM = 0.12; // a gap wider than this between runs is a space the PDF did not draw
const CELL_GAP_EM = 1.5; // a gap wider than this is a column boundary: reading it as " | " keeps table cells apart
const PARAGRAPH_GAP_EM = 1.6; // baselines further apart than this (body ≈1.2) start a new paragraph
const HEADING_SIZE_RATIO = 1.15; // set this much larger than the body text, a line is a heading
const MAX_HEADING_CHARS = 150; // a longer "heading" is a paragraph in a large font
const MAX_HEADING_LEVELS = 6;
const FURNITURE_MIN_PAGES = 3; // a line repeated at the top or bottom of this many pages…
const FURNITURE_PAGE_SHARE = 0.5; // …and of at least half of them is a running header or footer

/** The lines of one page, in reading order as the PDF draws them. */
export function pageLines(runs: readonly PdfTextRun[]): PdfLine[] {
  const lines: PdfLine[] = [];
  let current: { parts: string[]; size: number; y: number; end: number; isRow: boolean } | null = null;
  let breakNext = false;
  const close = () => {
    if (current) {
      const text = current.parts.join("").replace(/\s+/g, " ").trim();
      if (text !== "") lines.push({ text, size: current.size, y: current.y, isRow: current.isRow });
    }
    current = null;
  };

  for (const run of runs) {
    const blank = run.text.trim() === "";
    const size = Math.max(run.size, 1);
    if (current !== null && (breakNext || Math.abs(run.y - current.y) > SAME_LINE_EM * Math.max(size, current.size))) close();
    breakNext = run.endOfLine;
    if (blank) {
      if (current) current.parts.push(" ");
      continue;
    }
    if (current === null) {
      current = { parts: [run.text], size, y: run.y, end: run.x + run.width, isRow: false };
      continue;
    }
    const gap = run.x - current.end;
    if (gap > CELL_GAP_EM * size) {
      current.parts.push(" | ");
      current.isRow = true;
    } else if (gap > WORD_GAP_EM * size) current.parts.push(" ");
    current.parts.push(run.text);
    current.size = Math.max(current.size, size);
    current.end = Math.max(current.end, run.x + run.width);
  }
  close();
  return lines;
}

/** Feeds the pages' lines to `builder` as headings and paragraphs; returns the text of the first top-level heading. */
export function buildFromPages(pages: PdfLine[][], builder: SectionBuilder): string | undefined {
  const kept = dropRunningFurniture(pages);
  const body = bodySize(kept);
  const headingSizes = [...new Set(kept.flat().filter((l) => isHeading(l, body)).map((l) => roundSize(l.size)))].sort((a, b) => b - a);
  const levelOf = (line: PdfLine) => Math.min(headingSizes.indexOf(roundSize(line.size)) + 1, MAX_HEADING_LEVELS);

  let firstHeading: string | undefined;
  let paragraph: string[] = [];
  let heading: { text: string; size: number } | null = null;
  const flushParagraph = () => {
    if (paragraph.length > 0) builder.line(joinWrapped(paragraph));
    paragraph = [];
  };
  const flushHeading = () => {
    if (!heading) return;
    const level = levelOf({ text: heading.text, size: heading.size, y: 0, isRow: false });
    if (level === 1) firstHeading ??= heading.text;
    builder.heading(level, heading.text);
    heading = null;
  };

  for (const lines of kept) {
    let previous: PdfLine | null = null;
    for (const line of lines) {
      if (isHeading(line, body)) {
        flushParagraph();
        builder.endParagraph();
        // A heading set on two lines stays one heading.
        if (heading && roundSize(heading.size) === roundSize(line.size)) heading.text += ` ${line.text}`;
        else {
          flushHeading();
          heading = { text: line.text, size: line.size };
        }
      } else {
        flushHeading();
        const gap = previous ? previous.y - line.y : 0;
        if (previous === null || gap > PARAGRAPH_GAP_EM * Math.max(line.size, previous.size) || gap < 0 || line.isRow !== previous.isRow) {
          flushParagraph();
          if (previous === null || !(line.isRow && previous.isRow)) builder.endParagraph();
        }
        if (line.isRow) builder.line(line.text);
        else paragraph.push(line.text);
      }
      previous = line;
    }
    flushParagraph();
    flushHeading();
    builder.endParagraph();
  }
  return firstHeading;
}

/** Hard-wrapped lines of a paragraph joined back, words broken by a hyphen at a line end mended. */
function joinWrapped(lines: string[]): string {
  let text = lines[0] ?? "";
  for (const line of lines.slice(1)) {
    text = /\p{L}-$/u.test(text) && /^\p{Ll}/u.test(line) ? text.slice(0, -1) + line : `${text} ${line}`;
  }
  return text;
}

function isHeading(line: PdfLine, body: number): boolean {
  return !line.isRow && line.size >= body * HEADING_SIZE_RATIO && line.text.length <= MAX_HEADING_CHARS && /\p{L}/u.test(line.text);
}

/** The font size most of the text is set in. */
function bodySize(pages: PdfLine[][]): number {
  const chars = new Map<number, number>();
  for (const line of pages.flat()) chars.set(roundSize(line.size), (chars.get(roundSize(line.size)) ?? 0) + line.text.length);
  let best = 0;
  let bestChars = -1;
  for (const [size, count] of chars) {
    if (count > bestChars || (count === bestChars && size < best)) [best, bestChars] = [size, count];
  }
  return best;
}

/** Lines that open or close most pages with the same text (page numbers aside) are page furniture. */
function dropRunningFurniture(pages: PdfLine[][]): PdfLine[][] {
  if (pages.length < FURNITURE_MIN_PAGES) return pages;
  const key = (line: PdfLine | undefined) => (line ? line.text.replace(/\d+/g, "#").toLowerCase() : "");
  const counts = new Map<string, number>();
  for (const lines of pages) {
    for (const k of new Set([key(lines[0]), key(lines[lines.length - 1])])) if (k !== "") counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const threshold = Math.max(FURNITURE_MIN_PAGES, pages.length * FURNITURE_PAGE_SHARE);
  const furniture = new Set([...counts].filter(([, n]) => n >= threshold).map(([k]) => k));
  if (furniture.size === 0) return pages;
  return pages.map((lines) => lines.filter((line, i) => !((i === 0 || i === lines.length - 1) && furniture.has(key(line)))));
}

/** Sizes to the half point, so 11.98 and 12.02 count as one size. */
function roundSize(size: number): number {
  return Math.round(size * 2) / 2;
}
