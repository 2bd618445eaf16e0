import { decodeXML } from "entities";
import { ParseError } from "./parse-error";
import { SectionBuilder } from "./section-builder";
import type { ParsedDocument } from "./types";
import { listZipEntries, readZipEntry, type ZipEntry } from "./zip-reader";

/**
 * Word (.docx) documents to sections. A DOCX is a ZIP of XML parts; the text is in
 * `word/document.xml`: paragraphs (`w:p`) made of runs whose text is in `w:t`. A paragraph whose
 * style is a heading (Heading1…Heading6 by id, or any style `word/styles.xml` names
 * "heading N" or gives an outline level, as localised Word versions do) starts a section; the
 * Title style is the document's title; table rows read as their cells joined by " | ".
 *
 * The archive is untrusted: see `zip-reader.ts` for the bomb guards, applied with the limits below.
 */

const LABEL = "Word document";
const MAX_ENTRIES = 5_000; // a DOCX has 10–50 parts, a few hundred with many images
const MAX_DOCUMENT_XML_BYTES = 20 * 1024 * 1024; // ≈2M characters of text (the text limit) once Word's markup, 5–10× the text, is counted; with its decoded string it stays far under the 128 MB isolate
const MAX_SIDE_PART_BYTES = 5 * 1024 * 1024; // styles.xml and core.xml: a few KB normally, a few hundred KB with many custom styles
const MAX_COMPRESSION_RATIO = 250; // Word XML deflates 5–20×, tables of empty cells up to ~100×; bombs run near deflate's 1,032× ceiling
const TITLE_LEVEL = 1; // the Title paragraph also heads the text under it, as Markdown's `# Title` does

/** Title and sections of a DOCX file. */
export function parseDocx(bytes: Uint8Array, builder: SectionBuilder = new SectionBuilder()): ParsedDocument {
  const entries = new Map(listZipEntries(bytes, { maxEntries: MAX_ENTRIES, label: LABEL }).map((e) => [e.name, e]));
  const document = entries.get("word/document.xml");
  if (!document) throw new ParseError("corrupt", `The ${LABEL} is damaged: it has no document text inside. Open it and save it again, then upload the new copy.`);

  const headingLevels = readHeadingStyles(bytes, entries.get("word/styles.xml"));
  const declaredTitle = readCoreTitle(bytes, entries.get("docProps/core.xml"));
  const xml = readPart(bytes, document, MAX_DOCUMENT_XML_BYTES);
  const styleTitle = readBody(xml, headingLevels, builder);
  return builder.build(declaredTitle || styleTitle);
}

/** Paragraph style ids to heading levels (1–9), the Title style to 0. */
type HeadingLevels = Map<string, number>;

/** Walks document.xml, feeding `builder`; returns the text of the first Title-style paragraph. */
function readBody(xml: string, headingLevels: HeadingLevels, builder: SectionBuilder): string | undefined {
  let title: string | undefined;
  let paragraph: { text: string; level: number | null } | null = null;
  const outer: { text: string; level: number | null }[] = []; // paragraphs interrupted by a text box's own
  let inText = false;
  let skipDepth = 0; // inside content that is not the document's current text
  let tableDepth = 0;
  let row: string[] | null = null;
  let cell: string[] | null = null;

  const endParagraph = (p: { text: string; level: number | null }) => {
    const text = p.text;
    if (tableDepth > 0) {
      cell?.push(text);
    } else if (p.level === 0) {
      title ??= text.replace(/\s+/g, " ").trim() || undefined;
      builder.heading(TITLE_LEVEL, text);
    } else if (p.level !== null) {
      builder.heading(p.level, text);
    } else {
      builder.paragraph(text);
    }
  };

  for (const token of xmlTokens(xml)) {
    if (token.kind === "text") {
      if (inText && paragraph && skipDepth === 0) paragraph.text += decodeXML(token.text);
      continue;
    }
    const { name, closing, selfClosing, attributes } = token;
    // mc:Fallback repeats content already read from mc:Choice; *PrChange holds formatting as it
    // was before a tracked change (an old style would otherwise override the current one).
    if (name === "mc:Fallback" || name.endsWith("PrChange")) {
      if (!selfClosing) skipDepth += closing ? -1 : 1;
      continue;
    }
    if (skipDepth > 0) continue;
    switch (name) {
      case "w:p":
        if (closing) {
          if (paragraph) endParagraph(paragraph);
          paragraph = outer.pop() ?? null;
        } else {
          if (paragraph) outer.push(paragraph);
          paragraph = { text: "", level: null };
          if (selfClosing) {
            endParagraph(paragraph);
            paragraph = outer.pop() ?? null;
          }
        }
        break;
      case "w:pStyle":
        if (paragraph) paragraph.level = headingLevels.get(attribute(attributes, "w:val") ?? "") ?? defaultHeadingLevel(attribute(attributes, "w:val"));
        break;
      case "w:outlineLvl": {
        const level = Number(attribute(attributes, "w:val"));
        if (paragraph && Number.isInteger(level) && level >= 0 && level < 9 && paragraph.level === null) paragraph.level = level + 1;
        break;
      }
      case "w:t":
        inText = !closing && !selfClosing;
        break;
      case "w:tab":
        if (paragraph && !closing) paragraph.text += "\t";
        break;
      case "w:br":
      case "w:cr":
        if (paragraph && !closing) paragraph.text += "\n";
        break;
      case "w:noBreakHyphen":
        if (paragraph && !closing) paragraph.text += "-";
        break;
      case "w:tbl":
        if (closing) {
          tableDepth = Math.max(0, tableDepth - 1);
          if (tableDepth === 0) builder.endParagraph();
        } else if (!selfClosing) {
          if (tableDepth === 0) builder.endParagraph();
          tableDepth++;
        }
        break;
      case "w:tr":
        if (tableDepth !== 1) break;
        if (closing) {
          if (row) builder.line(row.filter((c) => c !== "").join(" | "));
          row = null;
        } else row = [];
        break;
      case "w:tc":
        if (tableDepth !== 1) break;
        if (closing) {
          row?.push((cell ?? []).join(" ").replace(/\s+/g, " ").trim());
          cell = null;
        } else cell = [];
        break;
    }
  }
  return title;
}

/** Style ids of heading and Title paragraph styles, following `w:basedOn` to inherited levels. */
function readHeadingStyles(bytes: Uint8Array, entry: ZipEntry | undefined): HeadingLevels {
  const levels: HeadingLevels = new Map();
  if (!entry) return levels;
  const xml = readPart(bytes, entry, MAX_SIDE_PART_BYTES);
  const basedOn = new Map<string, string>();
  for (const match of xml.matchAll(/<w:style\b([^>]*)>([\s\S]*?)<\/w:style>/g)) {
    const attributes = match[1] ?? "";
    const body = match[2] ?? "";
    const id = attribute(attributes, "w:styleId");
    if (id === undefined || (attribute(attributes, "w:type") ?? "paragraph") !== "paragraph") continue;
    const name = attribute(/<w:name\b([^>]*)\/?>/.exec(body)?.[1] ?? "", "w:val")?.toLowerCase() ?? "";
    const outline = Number(attribute(/<w:outlineLvl\b([^>]*)\/?>/.exec(body)?.[1] ?? "", "w:val"));
    const heading = /^heading\s*([1-9])$/.exec(name);
    if (name === "title") levels.set(id, 0);
    else if (heading) levels.set(id, Number(heading[1]));
    else if (Number.isInteger(outline) && outline >= 0 && outline < 9) levels.set(id, outline + 1);
    const parent = attribute(/<w:basedOn\b([^>]*)\/?>/.exec(body)?.[1] ?? "", "w:val");
    if (parent !== undefined) basedOn.set(id, parent);
  }
  for (const [id, parent] of basedOn) {
    if (levels.has(id)) continue;
    let ancestor: string | undefined = parent;
    for (let hops = 0; ancestor !== undefined && hops < 10; hops++) {
      const level = levels.get(ancestor);
      if (level !== undefined && level > 0) {
        levels.set(id, level);
        break;
      }
      ancestor = basedOn.get(ancestor);
    }
  }
  return levels;
}

/** Heading levels by the built-in style ids, for documents without a styles part. */
function defaultHeadingLevel(styleId: string | undefined): number | null {
  if (styleId === undefined) return null;
  if (/^title$/i.test(styleId)) return 0;
  const heading = /^heading([1-9])$/i.exec(styleId);
  return heading ? Number(heading[1]) : null;
}

/** The title in the document's properties (File › Info in Word), if set. */
function readCoreTitle(bytes: Uint8Array, entry: ZipEntry | undefined): string | undefined {
  if (!entry) return undefined;
  const title = /<dc:title\b[^>]*>([\s\S]*?)<\/dc:title>/.exec(readPart(bytes, entry, MAX_SIDE_PART_BYTES))?.[1];
  return title === undefined ? undefined : decodeXML(title).trim() || undefined;
}

function readPart(bytes: Uint8Array, entry: ZipEntry, maxBytes: number): string {
  const data = readZipEntry(bytes, entry, { maxBytes, maxRatio: MAX_COMPRESSION_RATIO, label: LABEL });
  return new TextDecoder().decode(data);
}

type XmlToken = { kind: "text"; text: string } | { kind: "tag"; name: string; closing: boolean; selfClosing: boolean; attributes: string };

/** Tags and text runs of an XML string; comments, processing instructions and doctypes skipped. */
function* xmlTokens(xml: string): Generator<XmlToken> {
  const TOKEN = /<(\/?)([A-Za-z_][\w:.-]*)((?:[^>"']|"[^"]*"|'[^']*')*?)(\/?)>|<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<![^>]*>|([^<]+)/g;
  for (const match of xml.matchAll(TOKEN)) {
    const [, slash, name, attributes, selfClose, cdata, text] = match;
    if (name !== undefined) yield { kind: "tag", name, closing: slash === "/", selfClosing: selfClose === "/", attributes: attributes ?? "" };
    else if (text !== undefined) yield { kind: "text", text };
    else if (cdata !== undefined) yield { kind: "text", text: cdata.replace(/&/g, "&amp;").replace(/</g, "&lt;") };
  }
}

function attribute(attributes: string, name: string): string | undefined {
  const match = new RegExp(`(?:^|\\s)${name.replace(/[.:]/g, "\\$&")}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(attributes);
  const value = match?.[1] ?? match?.[2];
  return value === undefined ? undefined : decodeXML(value);
}
