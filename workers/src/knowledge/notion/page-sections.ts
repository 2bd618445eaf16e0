/**
 * A Notion page's blocks to the sections every parser produces (`parsers/types.ts`): headings
 * start sections, paragraphs, quotes and callouts are paragraphs, list items and to-dos are
 * lines (nested items marked `›` once per level), table rows are their cells joined by `" | "`,
 * a code block's lines stay lines, a toggle's summary is a line its content follows. Layout
 * blocks (columns, synced blocks) give their children; media keep their captions; the rest
 * (dividers, tables of contents, embeds without captions) say nothing to a reader.
 */
import type { BlockObjectResponse } from "@notionhq/client";
import { SectionBuilder } from "../parsers/section-builder";
import type { ParsedDocument } from "../parsers/types";
import { plainText, type NotionBlock } from "./client";

const NEST_MARK = "›";
const LIST_TYPES = new Set<BlockObjectResponse["type"]>(["bulleted_list_item", "numbered_list_item", "to_do"]);

/** Title and sections of a Notion page. */
export function notionPageSections(title: string, blocks: readonly NotionBlock[], builder: SectionBuilder = new SectionBuilder()): ParsedDocument {
  writeBlocks(builder, blocks, 0);
  return builder.build(title);
}

function writeBlocks(out: SectionBuilder, blocks: readonly NotionBlock[], listDepth: number): void {
  let previousWasLine = false;
  for (const block of blocks) {
    const isLine = LIST_TYPES.has(block.type);
    // A list is one paragraph of lines; anything else after it starts a new one.
    if (previousWasLine && !isLine) out.endParagraph();
    writeBlock(out, block, listDepth);
    previousWasLine = isLine;
  }
  if (previousWasLine) out.endParagraph();
}

function nested(depth: number, text: string): string {
  return depth === 0 ? text : `${`${NEST_MARK} `.repeat(depth)}${text}`;
}

function writeBlock(out: SectionBuilder, block: NotionBlock, listDepth: number): void {
  switch (block.type) {
    case "heading_1":
    case "heading_2":
    case "heading_3":
    case "heading_4": {
      const level = Number(block.type.slice(-1));
      const heading = block.type === "heading_1" ? block.heading_1 : block.type === "heading_2" ? block.heading_2 : block.type === "heading_3" ? block.heading_3 : block.heading_4;
      out.heading(level, plainText(heading.rich_text));
      // A toggleable heading holds its section's content as children.
      writeBlocks(out, block.children, 0);
      return;
    }
    case "paragraph":
      out.paragraph(plainText(block.paragraph.rich_text));
      return writeBlocks(out, block.children, listDepth);
    case "quote":
      out.paragraph(plainText(block.quote.rich_text));
      return writeBlocks(out, block.children, 0);
    case "callout":
      out.paragraph(plainText(block.callout.rich_text));
      return writeBlocks(out, block.children, 0);
    case "bulleted_list_item":
      out.line(nested(listDepth, plainText(block.bulleted_list_item.rich_text)));
      return writeListChildren(out, block.children, listDepth);
    case "numbered_list_item":
      out.line(nested(listDepth, plainText(block.numbered_list_item.rich_text)));
      return writeListChildren(out, block.children, listDepth);
    case "to_do":
      out.line(nested(listDepth, `${block.to_do.checked ? "[x]" : "[ ]"} ${plainText(block.to_do.rich_text)}`));
      return writeListChildren(out, block.children, listDepth);
    case "toggle":
      out.endParagraph();
      out.line(plainText(block.toggle.rich_text));
      out.endParagraph();
      return writeBlocks(out, block.children, 0);
    case "code":
      out.endParagraph();
      for (const line of plainText(block.code.rich_text).split("\n")) out.line(line);
      out.endParagraph();
      return;
    case "equation":
      out.paragraph(block.equation.expression);
      return;
    case "table":
      out.endParagraph();
      for (const row of block.children) {
        if (row.type === "table_row") out.line(row.table_row.cells.map((cell) => plainText(cell)).filter((cell) => cell.trim() !== "").join(" | "));
      }
      out.endParagraph();
      return;
    case "image":
      return out.paragraph(plainText(block.image.caption));
    case "video":
      return out.paragraph(plainText(block.video.caption));
    case "file":
      return out.paragraph(plainText(block.file.caption));
    case "pdf":
      return out.paragraph(plainText(block.pdf.caption));
    case "bookmark":
      return out.paragraph(plainText(block.bookmark.caption));
    case "embed":
      return out.paragraph(plainText(block.embed.caption));
    case "column_list":
    case "column":
    case "synced_block":
    case "template":
      return writeBlocks(out, block.children, listDepth);
    default:
      // Dividers, breadcrumbs, tables of contents, child pages and databases (pages of their own),
      // link previews and unsupported blocks carry no text of this page.
      return;
  }
}

/** A list item's children: nested items one level deeper, anything else as its own paragraph. */
function writeListChildren(out: SectionBuilder, children: readonly NotionBlock[], listDepth: number): void {
  for (const child of children) {
    if (LIST_TYPES.has(child.type)) writeBlock(out, child, listDepth + 1);
    else {
      out.endParagraph();
      writeBlock(out, child, 0);
    }
  }
}
