import { describe, expect, it } from "vitest";
import { ParseError } from "./parse-error";
import { parsePdf } from "./pdf";
import { SectionBuilder } from "./section-builder";
import { buildPdf, type PdfRun } from "../../../test/document-fixtures";

async function parseError(work: Promise<unknown>): Promise<ParseError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error("expected a ParseError");
}

const guidePage: PdfRun[] = [
  { text: "User Guide", x: 72, y: 720, size: 24, font: "bold" },
  { text: "Intro text before any section.", x: 72, y: 690, size: 11 },
  { text: "Getting started", x: 72, y: 660, size: 16, font: "bold" },
  { text: "Café crème costs 4 € – naïve “quotes”. This line wraps onto the", x: 72, y: 640, size: 11 },
  { text: "next one.", x: 72, y: 626, size: 11 },
  { text: "Plan", x: 72, y: 590, size: 11 },
  { text: "Price", x: 250, y: 590, size: 11 },
  { text: "Seats", x: 400, y: 590, size: 11 },
  { text: "Basic", x: 72, y: 576, size: 11 },
  { text: "10 €", x: 250, y: 576, size: 11 },
  { text: "5", x: 400, y: 576, size: 11 },
  { text: "Billing", x: 72, y: 540, size: 16, font: "bold" },
  { text: "日本語のテキスト と Привет мир", x: 72, y: 520, size: 11, font: "unicode" },
];

describe("parsePdf", () => {
  it("reads headings by font size, paragraphs, a table and non-ASCII text", async () => {
    const parsed = await parsePdf(buildPdf([guidePage], { title: "Guide d’utilisation" }));
    expect(parsed.title).toBe("Guide d’utilisation");
    expect(parsed.sections).toEqual([
      { heading: "User Guide", level: 1, text: "Intro text before any section." },
      {
        heading: "Getting started",
        level: 2,
        text: "Café crème costs 4 € – naïve “quotes”. This line wraps onto the next one.\n\nPlan | Price | Seats\nBasic | 10 € | 5",
      },
      { heading: "Billing", level: 2, text: "日本語のテキスト と Привет мир" },
    ]);
  });

  it("takes the first top-level heading as the title when the file declares none", async () => {
    const parsed = await parsePdf(buildPdf([guidePage]));
    expect(parsed.title).toBe("User Guide");
  });

  it("mends words hyphenated at a line end", async () => {
    const parsed = await parsePdf(
      buildPdf([
        [
          { text: "Returns are accepted for every pur-", x: 72, y: 700, size: 11 },
          { text: "chase made online.", x: 72, y: 686, size: 11 },
        ],
      ]),
    );
    expect(parsed.sections[0]?.text).toBe("Returns are accepted for every purchase made online.");
  });

  it("drops running headers and footers, keeps text flowing across pages", async () => {
    const page = (n: number, body: string): PdfRun[] => [
      { text: "ACME Handbook", x: 72, y: 760, size: 9 },
      { text: body, x: 72, y: 700, size: 11 },
      { text: `Page ${n} of 3`, x: 280, y: 30, size: 9 },
    ];
    const parsed = await parsePdf(buildPdf([page(1, "First page text."), page(2, "Second page text."), page(3, "Third page text.")]));
    expect(parsed.sections).toEqual([{ heading: null, level: 0, text: "First page text.\n\nSecond page text.\n\nThird page text." }]);
  });

  it("rejects a corrupt PDF with a readable message", async () => {
    const corrupt = new TextEncoder().encode(`%PDF-1.7\n${"garbage ".repeat(200)}\n%%EOF`);
    const error = await parseError(parsePdf(corrupt));
    expect(error.code).toBe("corrupt");
    expect(error.message).toMatch(/^The PDF is damaged and cannot be read\./);
  });

  it("rejects a PDF over the page limit before reading its pages", async () => {
    const pages = Array.from({ length: 3 }, (_, i) => [{ text: `Page ${i}`, x: 72, y: 700, size: 11 }]);
    const error = await parseError(parsePdf(buildPdf(pages), { maxPages: 2 }));
    expect(error.code).toBe("too_large");
    expect(error.message).toBe("The PDF has 3 pages; the limit is 2. Split it into smaller files.");
  });

  it("stops at the time limit", async () => {
    const pages = Array.from({ length: 5 }, (_, i) => [{ text: `Page ${i}`, x: 72, y: 700, size: 11 }]);
    const error = await parseError(parsePdf(buildPdf(pages), { timeLimitMs: 0 }));
    expect(error.code).toBe("timeout");
  });

  it("stops at the character limit", async () => {
    const pages = Array.from({ length: 4 }, () => [{ text: "A line of forty characters, give or take.", x: 72, y: 700, size: 11 }]);
    const error = await parseError(parsePdf(buildPdf(pages), {}, new SectionBuilder(100)));
    expect(error.code).toBe("too_large");
    expect(error.message).toContain("more than 100 characters");
  });

  it("says a PDF without a text layer needs OCR", async () => {
    const error = await parseError(parsePdf(buildPdf([[], []])));
    expect(error.code).toBe("empty");
    expect(error.message).toContain("OCR");
  });
});
