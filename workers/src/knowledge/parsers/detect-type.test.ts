import { strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { detectType } from "./detect-type";
import { ParseError } from "./parse-error";
import { buildDocx, buildPdf, docxParagraph, linuxExecutableBytes, windowsExecutableBytes } from "../../../test/document-fixtures";

/** The ParseError `run` throws. */
function refusal(run: () => unknown): ParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error("expected a ParseError");
}

const pdf = buildPdf([[{ text: "Hello", x: 72, y: 700, size: 12 }]]);

describe("detectType", () => {
  it("knows a PDF by its header, whatever its name: a PDF named notes.txt is a PDF", () => {
    expect(detectType(pdf, "guide.pdf")).toEqual({ type: "pdf" });
    expect(detectType(pdf, "notes.txt")).toEqual({ type: "pdf" });
    expect(detectType(pdf)).toEqual({ type: "pdf" });
  });

  it("knows a DOCX by the document part inside the ZIP", () => {
    expect(detectType(buildDocx(docxParagraph("Hi")), "handbook.docx")).toEqual({ type: "docx" });
    expect(detectType(buildDocx(docxParagraph("Hi")), "handbook.zip")).toEqual({ type: "docx" });
  });

  it("refuses a Windows program renamed guide.pdf, saying what it is", () => {
    const error = refusal(() => detectType(windowsExecutableBytes(), "guide.pdf"));
    expect(error.code).toBe("unsupported_type");
    expect(error.message).toContain("“guide.pdf” is a Windows program");
    expect(error.message).toContain("Upload a PDF, Word (.docx), HTML, Markdown or plain-text file.");
  });

  it("refuses a Linux program renamed manual.docx", () => {
    const error = refusal(() => detectType(linuxExecutableBytes(), "manual.docx"));
    expect(error.code).toBe("unsupported_type");
    expect(error.message).toContain("Linux program");
  });

  it("refuses an empty file", () => {
    const error = refusal(() => detectType(new Uint8Array(0), "faq.md"));
    expect(error.code).toBe("empty");
    expect(error.message).toBe("“faq.md” is empty.");
    expect(refusal(() => detectType(strToU8(" \n\t\n"), "faq.md")).code).toBe("empty");
  });

  it("refuses images, archives and other Office formats with advice", () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(refusal(() => detectType(png, "faq.md")).message).toContain("an image (PNG)");
    expect(refusal(() => detectType(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0]), "docs.tar.gz")).message).toContain("gzip");
    const doc = new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]);
    expect(refusal(() => detectType(doc, "old.doc")).message).toContain("save it as .docx or PDF");
    const xlsx = zipSync({ "xl/workbook.xml": strToU8("<workbook/>"), "[Content_Types].xml": strToU8("<Types/>") });
    expect(refusal(() => detectType(xlsx, "prices.xlsx")).message).toContain("Excel spreadsheet");
    const zip = zipSync({ "a.txt": strToU8("hello") });
    expect(refusal(() => detectType(zip, "bundle.zip")).message).toContain("a ZIP archive");
  });

  it("says when binary content is named like a document", () => {
    const noise = new Uint8Array(2048).map((_, i) => (i * 97 + 13) % 256);
    const error = refusal(() => detectType(noise, "guide.pdf"));
    expect(error.code).toBe("type_mismatch");
    expect(error.message).toContain("named like a PDF");
    expect(refusal(() => detectType(noise, "blob.bin")).code).toBe("unsupported_type");
    const fakeDocx = zipSync({ "readme.txt": strToU8("hi") });
    expect(refusal(() => detectType(fakeDocx, "contract.docx")).code).toBe("type_mismatch");
  });

  it("knows HTML by its content, and tells Markdown from text by name or marks", () => {
    expect(detectType(strToU8("<!DOCTYPE html><html><body><p>Hi</p></body></html>"), "page.txt").type).toBe("html");
    expect(detectType(strToU8("<p>Hi</p>"), "page.htm").type).toBe("html");
    expect(detectType(strToU8("<html><head><title>T</title></head><body>x</body></html>")).type).toBe("html");
    expect(detectType(strToU8("# Title\n\nBody"), "readme.md").type).toBe("markdown");
    expect(detectType(strToU8("# Title\n\nBody"), "notes.txt").type).toBe("text");
    expect(detectType(strToU8("---\ntitle: FAQ\n---\nBody")).type).toBe("markdown");
    expect(detectType(strToU8("See [the guide](https://example.com) first.")).type).toBe("markdown");
    expect(detectType(strToU8("Just some words.\nAnd more."), "notes").type).toBe("text");
  });

  it("decodes UTF-8, UTF-16 with a byte-order mark, and legacy Windows-1252 text", () => {
    expect(detectType(strToU8("Crème brûlée"), "a.txt")).toEqual({ type: "text", text: "Crème brûlée" });
    const utf16 = new Uint8Array([0xff, 0xfe, ...[..."Größe"].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(detectType(utf16, "a.txt")).toEqual({ type: "text", text: "Größe" });
    const windows1252 = new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x35]); // "Café €5"
    expect(detectType(windows1252, "a.txt")).toEqual({ type: "text", text: "Café €5" });
  });
});
