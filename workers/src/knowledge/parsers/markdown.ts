import { decodeHTML } from "entities";
import { cleanInline } from "./clean-text";
import { SectionBuilder } from "./section-builder";
import type { ParsedDocument } from "./types";

/**
 * Markdown to sections: `#`…`######` and underlined (setext) headings start sections, the
 * front matter's `title` is the title, and the formatting is stripped the way a reader sees it:
 * links keep their text, images are dropped, code blocks stay as plain text, list items and
 * table rows become lines. A line-based reader rather than a full CommonMark parser: what
 * matters here is the text and its headings, and the corner cases a full parser settles
 * (nested containers, lazy continuation) do not change either.
 */

const FRONT_MATTER = /^(---|\+\+\+)[ \t]*\n([\s\S]*?)\n(?:\1|\.\.\.)[ \t]*(?:\n|$)/;
const FRONT_MATTER_TITLE = /^title[ \t]*[:=][ \t]*(.+)$/m;
const ATX_HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^ {0,3}(=+|-+)[ \t]*$/;
const THEMATIC_BREAK = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const LIST_ITEM = /^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?(.*)$/;
const BLOCKQUOTE = /^ {0,3}>[ \t]?/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*\S+/;
const TABLE_DIVIDER = /^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$/;

/** Title and sections of a Markdown document. */
export function parseMarkdown(source: string, builder: SectionBuilder = new SectionBuilder()): ParsedDocument {
  let text = source.replace(/\r\n?/g, "\n").replace(/^\uFEFF/, "");
  let title: string | undefined;
  const frontMatter = FRONT_MATTER.exec(text);
  if (frontMatter) {
    title = unquote(FRONT_MATTER_TITLE.exec(frontMatter[2] ?? "")?.[1] ?? "");
    text = text.slice(frontMatter[0].length);
  }
  text = text.replace(/<!--[\s\S]*?-->/g, "");

  const lines = text.split("\n");
  let paragraph: string[] = [];
  let fence: string | null = null;
  let inTable = false;
  let firstH1: string | undefined;
  const endParagraph = () => {
    if (paragraph.length > 0) builder.line(stripInline(paragraph.join(" ")));
    paragraph = [];
    builder.endParagraph();
    inTable = false;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (fence !== null) {
      if (line.trimStart().startsWith(fence)) {
        fence = null;
        builder.endParagraph();
      } else builder.line(line);
      continue;
    }
    const content = line.replace(BLOCKQUOTE, "").replace(BLOCKQUOTE, "");
    const opening = FENCE.exec(content);
    if (opening) {
      endParagraph();
      fence = opening[1] ?? "```";
      continue;
    }
    const atx = ATX_HEADING.exec(content);
    if (atx) {
      endParagraph();
      const heading = stripInline(atx[2] ?? "");
      if (atx[1]?.length === 1) firstH1 ??= heading;
      builder.heading(atx[1]?.length ?? 1, heading);
      continue;
    }
    const underline = SETEXT_UNDERLINE.exec(content);
    if (underline && paragraph.length > 0 && !inTable) {
      const heading = stripInline(paragraph.join(" "));
      paragraph = [];
      const level = underline[1]?.startsWith("=") ? 1 : 2;
      if (level === 1) firstH1 ??= heading;
      builder.heading(level, heading);
      continue;
    }
    if (content.trim() === "" || THEMATIC_BREAK.test(content)) {
      endParagraph();
      continue;
    }
    if (LINK_DEFINITION.test(content)) continue;
    if (!inTable && content.includes("|") && TABLE_DIVIDER.test(lines[i + 1] ?? "")) {
      endParagraph();
      inTable = true;
      builder.line(tableRow(content));
      i++; // the divider row
      continue;
    }
    if (inTable && content.includes("|")) {
      builder.line(tableRow(content));
      continue;
    }
    const item = LIST_ITEM.exec(content);
    if (item) {
      if (paragraph.length > 0) builder.line(stripInline(paragraph.join(" ")));
      paragraph = [];
      builder.line(stripInline(item[1] ?? ""));
      continue;
    }
    paragraph.push(content.trim());
  }
  endParagraph();
  return builder.build(title || firstH1);
}

/** Inline Markdown to the text a reader sees; code spans are kept verbatim. */
function stripInline(text: string): string {
  const parts = text.split(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/);
  let out = "";
  // split() with two groups yields [text, ticks, code, text, ticks, code, …, text].
  for (let i = 0; i < parts.length; i += 3) {
    out += stripFormatting(parts[i] ?? "");
    if (i + 2 < parts.length) out += (parts[i + 2] ?? "").trim();
  }
  return cleanInline(out);
}

function stripFormatting(text: string): string {
  const stripped = text
    .replace(/!\[[^\]]*\](?:\((?:[^()]|\([^)]*\))*\)|\[[^\]]*\])/g, "") // images
    .replace(/\[\^[^\]]+\]/g, "") // footnote references
    .replace(/\[([^\]]+)\](?:\((?:[^()]|\([^)]*\))*\)|\[[^\]]*\])/g, "$1") // links keep their text
    .replace(/<((?:https?|mailto|ftp):[^>\s]+|[^@>\s]+@[^@>\s]+)>/g, "$1") // autolinks
    .replace(/<\/?[A-Za-z][^>]*>/g, "") // inline HTML tags
    .replace(/(\*\*|__|~~)(?=\S)([\s\S]*?\S)\1/g, "$2") // strong, strikethrough
    .replace(/(^|[^\p{L}\p{N}*_\\])([*_])(?=\S)([\s\S]*?\S)\2(?![\p{L}\p{N}])/gu, "$1$3") // emphasis, not snake_case
    .replace(/\\([!-/:-@[-`{-~])/g, "$1"); // backslash escapes
  return decodeHTML(stripped);
}

function tableRow(line: string): string {
  const cells = line
    .trim()
    .replace(/^\|/, "")
    .replace(/(?<!\\)\|$/, "")
    .split(/(?<!\\)\|/)
    .map((cell) => stripInline(cell.replace(/\\\|/g, "|")));
  return cells.filter((cell) => cell !== "").join(" | ");
}

function unquote(value: string): string {
  const trimmed = value.trim();
  const quoted = /^(["'])([\s\S]*)\1$/.exec(trimmed);
  return quoted ? (quoted[2] ?? "") : trimmed;
}
