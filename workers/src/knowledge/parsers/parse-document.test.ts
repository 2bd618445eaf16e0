import { strToU8 } from "fflate";
import { describe, expect, it } from "vitest";
import { chunkDocument, contentHash } from "../chunker";
import { parseDocument } from "./parse-document";
import { ParseError } from "./parse-error";
import { buildDocx, buildPdf, docxParagraph, docxTable, windowsExecutableBytes } from "../../../test/document-fixtures";

async function parseError(work: Promise<unknown>): Promise<ParseError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error("expected a ParseError");
}

describe("parseDocument", () => {
  it("parses by content: a PDF named notes.txt is read as a PDF", async () => {
    const pdf = buildPdf([[{ text: "Opening hours", x: 72, y: 700, size: 18 }, { text: "Monday to Friday, 9–17.", x: 72, y: 680, size: 11 }]]);
    expect(await parseDocument(pdf, "notes.txt")).toEqual({
      type: "pdf",
      title: "Opening hours",
      sections: [{ heading: "Opening hours", level: 1, text: "Monday to Friday, 9–17." }],
    });
  });

  it("dispatches each text format to its parser", async () => {
    expect((await parseDocument(strToU8("# FAQ\n\n**Yes.**"), "faq.md")).sections).toEqual([{ heading: "FAQ", level: 1, text: "Yes." }]);
    expect((await parseDocument(strToU8("<h2>FAQ</h2><p>Yes &amp; no</p>"), "faq.html")).sections).toEqual([{ heading: "FAQ", level: 2, text: "Yes & no" }]);
    expect((await parseDocument(strToU8("FAQ\n\nYes."), "faq.txt")).type).toBe("text");
  });

  it("refuses a renamed program, an empty file and a file over the size limit with readable messages", async () => {
    expect((await parseError(parseDocument(windowsExecutableBytes(), "guide.pdf"))).code).toBe("unsupported_type");
    expect((await parseError(parseDocument(new Uint8Array(0), "guide.pdf"))).message).toBe("“guide.pdf” is empty.");
    const big = await parseError(parseDocument(new Uint8Array(2048).fill(0x61), "a.txt", { maxFileBytes: 1024 }));
    expect(big.code).toBe("too_large");
    expect(big.message).toBe("The file is 2 KB; the limit is 1 KB. Split it into smaller files.");
  });

  it("refuses a document that holds no text once parsed", async () => {
    const error = await parseError(parseDocument(strToU8("<html><body><script>track()</script></body></html>"), "empty.html"));
    expect(error.code).toBe("empty");
  });

  it("turns a Word document into chunks that keep their headings, with stable hashes", async () => {
    const body = [
      docxParagraph("Returns", "Heading1"),
      ...Array.from({ length: 40 }, (_, i) => docxParagraph(`Rule ${i}: items bought in store number ${i} can be returned within thirty days with the receipt.`)),
      docxParagraph("Prices", "Heading2"),
      docxTable([
        ["Item", "Price"],
        ["Mug", "8 €"],
      ]),
    ].join("");
    const parsed = await parseDocument(buildDocx(body), "policy.docx");
    const chunks = chunkDocument(parsed, { targetTokens: 256 });
    expect(chunks.filter((c) => c.heading === "Returns").length).toBeGreaterThan(1);
    expect(chunks.at(-1)).toMatchObject({ heading: "Prices", content: "Item | Price\nMug | 8 €" });
    const hashes = await Promise.all(chunks.map((c) => contentHash(c.content)));
    expect(new Set(hashes).size).toBe(chunks.length);
    expect(hashes).toEqual(await Promise.all(chunkDocument(parsed, { targetTokens: 256 }).map((c) => contentHash(c.content))));
  });
});
