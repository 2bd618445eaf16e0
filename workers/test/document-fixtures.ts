/**
 * Builders for the parser tests: real PDF, DOCX and ZIP files made in memory, so every fixture
 * is readable in the test that uses it and no binary blob needs committing.
 */
import { Deflate, strToU8, zipSync } from "fflate";

/** A string drawn on a PDF page: Helvetica (Windows-1252 text) or a Unicode font for any script. */
export interface PdfRun {
  text: string;
  x: number;
  y: number;
  size: number;
  font?: "regular" | "bold" | "unicode";
}

/** Windows-1252 bytes for the code points it places in 0x80–0x9F. */
const WIN_ANSI_EXTRAS: Record<string, number> = { "€": 0x80, "‚": 0x82, "„": 0x84, "…": 0x85, "‘": 0x91, "’": 0x92, "“": 0x93, "”": 0x94, "•": 0x95, "–": 0x96, "—": 0x97, "™": 0x99 };

/**
 * A valid PDF 1.7 file: one page per entry of `pages`, Helvetica and Helvetica-Bold for Latin
 * text, and a Type0 font whose ToUnicode map lets any script be extracted (no glyphs embedded:
 * extraction needs none). Written with a correct xref table, ASCII only.
 */
export function buildPdf(pages: PdfRun[][], info: { title?: string } = {}): Uint8Array {
  const cids = new Map<string, number>();
  for (const run of pages.flat()) {
    if (run.font === "unicode") for (const char of run.text) if (!cids.has(char)) cids.set(char, cids.size + 1);
  }
  const hex4 = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  const utf16Hex = (s: string) => Array.from({ length: s.length }, (_, i) => hex4(s.charCodeAt(i))).join("");
  const toUnicode = [
    "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def /CMapName /Adobe-Identity-UCS def /CMapType 2 def",
    "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    `${cids.size} beginbfchar`,
    ...[...cids].map(([char, cid]) => `<${hex4(cid)}> <${utf16Hex(char)}>`),
    "endbfchar endcmap CMapName currentdict /CMap defineresource pop end end",
  ].join("\n");

  const objects: string[] = [];
  const add = (body: string) => objects.push(body);
  const stream = (content: string) => `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  const firstPage = 10;
  add("<< /Type /Catalog /Pages 2 0 R >>"); // 1
  add(`<< /Type /Pages /Kids [${pages.map((_, i) => `${firstPage + 2 * i} 0 R`).join(" ")}] /Count ${pages.length} >>`); // 2
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"); // 3
  add("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"); // 4
  add("<< /Type /Font /Subtype /Type0 /BaseFont /TestSans /Encoding /Identity-H /DescendantFonts [6 0 R] /ToUnicode 7 0 R >>"); // 5
  add("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /TestSans /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 8 0 R /DW 1000 /CIDToGIDMap /Identity >>"); // 6
  add(stream(toUnicode)); // 7
  add("<< /Type /FontDescriptor /FontName /TestSans /Flags 4 /FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 900 /Descent -200 /CapHeight 700 /StemV 80 >>"); // 8
  add(`<< /Producer (EdgeDesk tests)${info.title === undefined ? "" : ` /Title <FEFF${utf16Hex(info.title)}>`} >>`); // 9
  for (const runs of pages) {
    const content = runs
      .map((run) => {
        const font = run.font === "bold" ? "F2" : run.font === "unicode" ? "F3" : "F1";
        const text = run.font === "unicode" ? `<${[...run.text].map((c) => hex4(cids.get(c) ?? 0)).join("")}>` : `(${winAnsiLiteral(run.text)})`;
        return `BT /${font} ${run.size} Tf ${run.x} ${run.y} Td ${text} Tj ET`;
      })
      .join("\n");
    add(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents ${objects.length + 2} 0 R >>`);
    add(stream(content));
  }

  let file = "%PDF-1.7\n";
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(file.length);
    file += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = file.length;
  file += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) file += `${String(offset).padStart(10, "0")} 00000 n \n`;
  file += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info 9 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return strToU8(file);
}

/** A PDF string literal's body in Windows-1252, non-ASCII bytes as octal escapes. */
function winAnsiLiteral(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const byte = WIN_ANSI_EXTRAS[char] ?? (code < 0x100 ? code : -1);
    if (byte < 0) throw new Error(`"${char}" is not in Windows-1252; use the unicode font`);
    if (char === "(" || char === ")" || char === "\\") out += `\\${char}`;
    else out += byte < 0x80 ? char : `\\${byte.toString(8)}`;
  }
  return out;
}

/** A `w:p` paragraph, in a paragraph style if given. */
export function docxParagraph(text: string, style?: string): string {
  const properties = style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : "";
  return `<w:p>${properties}<w:r><w:t xml:space="preserve">${escapeXml(text)}</w:t></w:r></w:p>`;
}

/** A `w:tbl` table of plain-text cells. */
export function docxTable(rows: string[][]): string {
  const cell = (text: string) => `<w:tc><w:tcPr><w:tcW w:w="2400" w:type="dxa"/></w:tcPr>${docxParagraph(text)}</w:tc>`;
  return `<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>${rows.map((row) => `<w:tr>${row.map(cell).join("")}</w:tr>`).join("")}</w:tbl>`;
}

/** A DOCX file (the parts Word needs to open it) around `bodyXml`, with extra parts if given. */
export function buildDocx(bodyXml: string, options: { title?: string; styles?: string; extra?: Record<string, string> } = {}): Uint8Array {
  const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
  const parts: Record<string, string> = {
    "[Content_Types].xml":
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    "_rels/.rels":
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    "word/document.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="${W}" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>${bodyXml}<w:sectPr/></w:body></w:document>`,
    ...options.extra,
  };
  if (options.styles !== undefined) parts["word/styles.xml"] = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:styles xmlns:w="${W}">${options.styles}</w:styles>`;
  if (options.title !== undefined) {
    parts["docProps/core.xml"] =
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${escapeXml(options.title)}</dc:title></cp:coreProperties>`;
  }
  return zipSync(Object.fromEntries(Object.entries(parts).map(([name, xml]) => [name, strToU8(xml)])));
}

/** An entry for `rawZip`: bytes already compressed, sizes as the archive should declare them. */
export interface RawZipEntry {
  name: string;
  data: Uint8Array;
  method: 0 | 8;
  declaredSize: number;
}

/** A ZIP archive written field by field, so a test can make it declare sizes that are lies. */
export function rawZip(entries: RawZipEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = strToU8(entry.name);
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, entry.method, true);
    lv.setUint32(18, entry.data.length, true);
    lv.setUint32(22, entry.declaredSize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, entry.method, true);
    cv.setUint32(20, entry.data.length, true);
    cv.setUint32(24, entry.declaredSize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, entry.data);
    centrals.push(central);
    offset += local.length + entry.data.length;
  }
  const centralSize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, end]);
}

/** `totalBytes` copies of `byte`, deflated a mebibyte at a time (never held uncompressed). */
export function deflateRepeated(totalBytes: number, byte: number): Uint8Array {
  const block = new Uint8Array(1024 * 1024).fill(byte);
  const out: Uint8Array[] = [];
  const deflate = new Deflate({ level: 6 }, (chunk) => out.push(chunk));
  for (let left = totalBytes; left > 0; left -= block.length) {
    deflate.push(left > block.length ? block : block.subarray(0, left), left <= block.length);
  }
  return concat(out);
}

/** Bytes of a Windows program's header: "MZ", the DOS stub fields, and the PE signature at 0x80. */
export function windowsExecutableBytes(): Uint8Array {
  const bytes = new Uint8Array(512);
  bytes.set([0x4d, 0x5a, 0x90, 0x00, 0x03, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0xff, 0xff]);
  new DataView(bytes.buffer).setUint32(0x3c, 0x80, true);
  bytes.set(strToU8("This program cannot be run in DOS mode."), 0x4e);
  bytes.set([0x50, 0x45, 0x00, 0x00, 0x64, 0x86], 0x80);
  return bytes;
}

/** Bytes of a Linux program's header (ELF, 64-bit, x86-64). */
export function linuxExecutableBytes(): Uint8Array {
  const bytes = new Uint8Array(256);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);
  bytes.set([0x02, 0x00, 0x3e, 0x00], 16);
  return bytes;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
