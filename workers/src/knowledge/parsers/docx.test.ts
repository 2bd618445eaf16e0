import { deflateSync, strToU8, zipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { parseDocx } from "./docx";
import { ParseError } from "./parse-error";
import { buildDocx, deflateRepeated, docxParagraph, docxTable, rawZip } from "../../../test/document-fixtures";

function parseError(run: () => unknown): ParseError {
  try {
    run();
  } catch (error) {
    if (error instanceof ParseError) return error;
    throw error;
  }
  throw new Error("expected a ParseError");
}

const MB = 1024 * 1024;
const BOMB_BYTES = 200 * MB;
let bombData: Uint8Array | undefined;
/** 200 MB of "A" deflated to a few hundred KB; made once, it takes a second or two. */
function bombDeflated(): Uint8Array {
  bombData ??= deflateRepeated(BOMB_BYTES, 0x41);
  return bombData;
}

describe("parseDocx", () => {
  it("reads Heading 1/2 sections, a table as rows of cells, and non-ASCII text", () => {
    const body = [
      docxParagraph("Before any heading."),
      docxParagraph("Überblick – 概要", "Heading1"),
      docxParagraph("Grüße aus Köln: naïve café, Ελληνικά, 日本語, emoji 👍."),
      docxParagraph("Preise & Pläne", "Heading2"),
      docxTable([
        ["Plan", "Preis", "Nutzer"],
        ["Basis", "10 €", "5"],
      ]),
      docxParagraph("After the table."),
    ].join("");
    const parsed = parseDocx(buildDocx(body, { title: "Handbuch für Kunden" }));
    expect(parsed).toEqual({
      title: "Handbuch für Kunden",
      sections: [
        { heading: null, level: 0, text: "Before any heading." },
        { heading: "Überblick – 概要", level: 1, text: "Grüße aus Köln: naïve café, Ελληνικά, 日本語, emoji 👍." },
        { heading: "Preise & Pläne", level: 2, text: "Plan | Preis | Nutzer\nBasis | 10 € | 5\n\nAfter the table." },
      ],
    });
  });

  it("finds headings through styles.xml when the style ids are localised, and takes the Title style as title", () => {
    const styles =
      '<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>' +
      '<w:style w:type="paragraph" w:styleId="Titel"><w:name w:val="Title"/></w:style>' +
      '<w:style w:type="paragraph" w:styleId="MeineUeberschrift"><w:name w:val="Meine Überschrift"/><w:basedOn w:val="berschrift1"/></w:style>';
    const body = [docxParagraph("Kundenhandbuch", "Titel"), docxParagraph("Einleitung", "berschrift1"), docxParagraph("Text."), docxParagraph("Eigene", "MeineUeberschrift"), docxParagraph("Mehr.")].join("");
    const parsed = parseDocx(buildDocx(body, { styles }));
    expect(parsed.title).toBe("Kundenhandbuch");
    expect(parsed.sections).toEqual([
      { heading: "Einleitung", level: 1, text: "Text." },
      { heading: "Eigene", level: 1, text: "Mehr." },
    ]);
  });

  it("reads tabs, line breaks and entities in runs, and does not read a text box's fallback copy twice", () => {
    const body =
      '<w:p><w:r><w:t>Fish &amp; chips</w:t><w:tab/><w:t>£5</w:t><w:br/><w:t xml:space="preserve">Second  line</w:t></w:r></w:p>' +
      '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:txbxContent><w:p><w:r><w:t>Boxed</w:t></w:r></w:p></w:txbxContent></mc:Choice>' +
      "<mc:Fallback><w:txbxContent><w:p><w:r><w:t>Boxed</w:t></w:r></w:p></w:txbxContent></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>Outer</w:t></w:r></w:p>";
    const parsed = parseDocx(buildDocx(body));
    expect(parsed.sections).toEqual([{ heading: null, level: 0, text: "Fish & chips £5\nSecond line\n\nBoxed\n\nOuter" }]);
  });

  it("uses a paragraph's current style, not the one recorded before a tracked change", () => {
    const body =
      '<w:p><w:pPr><w:pStyle w:val="Heading2"/><w:pPrChange w:id="1" w:author="A"><w:pPr><w:pStyle w:val="Normal"/></w:pPr></w:pPrChange></w:pPr><w:r><w:t>Delivery</w:t></w:r></w:p>' +
      docxParagraph("Two days.");
    expect(parseDocx(buildDocx(body)).sections).toEqual([{ heading: "Delivery", level: 2, text: "Two days." }]);
  });

  it("refuses a zip bomb by its declared size without inflating it", () => {
    const bombSize = BOMB_BYTES;
    const compressed = bombDeflated();
    expect(compressed.length).toBeLessThan(MB); // a few hundred KB holding 200 MB
    const bomb = rawZip([
      { name: "[Content_Types].xml", data: strToU8("<Types/>"), method: 0, declaredSize: 8 },
      { name: "word/document.xml", data: compressed, method: 8, declaredSize: bombSize },
    ]);
    const started = performance.now();
    const error = parseError(() => parseDocx(bomb));
    expect(error.code).toBe("too_large");
    expect(error.message).toContain("200 MB uncompressed; the limit is 20 MB");
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("stops inflating a zip bomb that lies about its size as soon as it passes what it declared", () => {
    const compressed = bombDeflated();
    const liar = rawZip([{ name: "word/document.xml", data: compressed, method: 8, declaredSize: compressed.length * 4 }]);
    const started = performance.now();
    const error = parseError(() => parseDocx(liar));
    expect(error.code).toBe("too_large");
    expect(error.message).toContain("looks like a compression bomb");
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses an entry that claims an implausible compression ratio", () => {
    const tiny = deflateSync(strToU8("<w:document/>"));
    const claim = rawZip([{ name: "word/document.xml", data: tiny, method: 8, declaredSize: tiny.length * 1_000 }]);
    expect(parseError(() => parseDocx(claim)).message).toContain("compression bomb");
  });

  it("refuses an archive with too many entries", () => {
    const entries = Array.from({ length: 5_001 }, (_, i) => ({ name: `f${i}`, data: new Uint8Array(0), method: 0 as const, declaredSize: 0 }));
    const error = parseError(() => parseDocx(rawZip(entries)));
    expect(error.code).toBe("too_large");
    expect(error.message).toContain("5,001 files inside; the limit is 5,000");
  });

  it("says a damaged or password-protected Word file is damaged or protected", () => {
    const whole = buildDocx(docxParagraph("Hello"));
    expect(parseError(() => parseDocx(whole.subarray(0, whole.length - 30))).code).toBe("corrupt");
    const noDocument = zipSync({ "word/styles.xml": strToU8("<w:styles/>") });
    expect(parseError(() => parseDocx(noDocument)).message).toContain("no document text inside");
    const encrypted = rawZip([{ name: "word/document.xml", data: new Uint8Array(10), method: 8, declaredSize: 100 }]);
    const centralHeader = encrypted.length - 22 - (46 + "word/document.xml".length); // before the 22-byte end record
    new DataView(encrypted.buffer).setUint16(centralHeader + 8, 1, true); // general-purpose flags: bit 0, encrypted
    expect(parseError(() => parseDocx(encrypted)).code).toBe("encrypted");
  });
});
