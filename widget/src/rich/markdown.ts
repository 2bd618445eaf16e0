/**
 * A small, safe Markdown reader for chat messages. It produces a tree of plain data (never
 * HTML), so nothing a message says can become markup: the renderer turns the tree into Preact
 * elements and text nodes. Links keep only http(s) and mailto targets.
 */

/** Inline content. Strings are text. */
export type Inline =
  | string
  | { t: "b" | "i"; c: Inline[] }
  | { t: "code"; text: string }
  | { t: "a"; href: string; c: Inline[] }
  | { t: "cite"; n: number }
  | { t: "br" };

/** Block content. */
export type Block =
  | { t: "p" | "h" | "q"; c: Inline[] }
  | { t: "ul" | "ol"; items: Inline[][] }
  | { t: "pre"; text: string };

/** What the reader recognises: everything for answers, only links and line breaks for visitors. */
export interface MarkdownOptions {
  plain?: boolean;
}

const SAFE_PROTOCOLS = ["http:", "https:", "mailto:"];

/** The URL if it is absolute and http(s) or mailto, else null. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw.trim());
    return SAFE_PROTOCOLS.includes(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

// One alternation, tried left to right at each position: code, link, autolink, citation, bare
// URL, bold, italic, line break, backslash escape.
const INLINE =
  /`([^`\n]+)`|\[((?:\\.|[^\]\\\n])+)\]\(([^()\s]+)\)|<(https?:\/\/[^>\s]+|mailto:[^>\s]+)>|\[(\d{1,2})\]|(https?:\/\/[^\s<]*[^\s<.,;:!?)\]'"])|\*\*(?=\S)([\s\S]+?)\*\*|__(?=\S)([\s\S]+?)__|\*(?=[^\s*])((?:[^*\n])+?)\*|(\n)|\\([\\`*_[\]()#+\-.!>])/g;
const PLAIN = /\[((?:\\.|[^\]\\\n])+)\]\(([^()\s]+)\)|(https?:\/\/[^\s<]*[^\s<.,;:!?)\]'"])|(\n)/g;

function link(href: string, label: Inline[], raw: string): Inline[] {
  const safe = safeHref(href);
  return safe ? [{ t: "a", href: safe, c: label }] : [raw];
}

/** Inline Markdown of one block's text. */
export function parseInline(text: string, opts: MarkdownOptions = {}): Inline[] {
  const out: Inline[] = [];
  const push = (...items: Inline[]) => {
    for (const item of items) {
      const last = out[out.length - 1];
      if (typeof item === "string" && typeof last === "string") out[out.length - 1] = last + item;
      else if (item !== "") out.push(item);
    }
  };
  const re = new RegExp(opts.plain ? PLAIN : INLINE);
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    push(text.slice(at, m.index));
    at = m.index + m[0].length;
    const g = m.slice(1);
    if (opts.plain) {
      if (g[0] !== undefined) push(...link(g[1]!, [unescape(g[0])], m[0]));
      else if (g[2] !== undefined) push(...link(g[2], [g[2]], g[2]));
      else push({ t: "br" });
      continue;
    }
    if (g[0] !== undefined) push({ t: "code", text: g[0] });
    else if (g[1] !== undefined) push(...link(g[2]!, parseInline(g[1]).map((x) => (typeof x === "string" ? unescape(x) : x)), m[0]));
    else if (g[3] !== undefined) push(...link(g[3], [g[3]], m[0]));
    else if (g[4] !== undefined) push({ t: "cite", n: Number(g[4]) });
    else if (g[5] !== undefined) push(...link(g[5], [g[5]], g[5]));
    else if (g[6] !== undefined || g[7] !== undefined) push({ t: "b", c: parseInline(g[6] ?? g[7]!) });
    else if (g[8] !== undefined) push({ t: "i", c: parseInline(g[8]) });
    else if (g[9] !== undefined) push({ t: "br" });
    else push(g[10]!);
  }
  push(text.slice(at));
  return out;
}

function unescape(s: string): string {
  return s.replace(/\\([\\`*_[\]()#+\-.!>])/g, "$1");
}

const BULLET = /^\s{0,3}[-*+]\s+(.*)$/;
const NUMBERED = /^\s{0,3}\d{1,3}[.)]\s+(.*)$/;
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/;
const QUOTE = /^\s{0,3}>\s?(.*)$/;
const FENCE = /^\s{0,3}```/;

/** Block Markdown: paragraphs, headings, lists, quotes and fenced code. */
export function parseMarkdown(text: string, opts: MarkdownOptions = {}): Block[] {
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  if (opts.plain) return [{ t: "p", c: parseInline(lines.join("\n"), opts) }];
  const blocks: Block[] = [];
  const startsBlock = (l: string) => FENCE.test(l) || HEADING.test(l) || BULLET.test(l) || NUMBERED.test(l) || QUOTE.test(l);
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    if (!line.trim()) {
      i++;
      continue;
    }
    if (FENCE.test(line)) {
      const code: string[] = [];
      for (i++; i < lines.length && !FENCE.test(lines[i]!); i++) code.push(lines[i]!);
      i++; // the closing fence (or the end)
      blocks.push({ t: "pre", text: code.join("\n") });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ t: "h", c: parseInline(heading[1]!) });
      i++;
      continue;
    }
    const list = BULLET.test(line) ? BULLET : NUMBERED.test(line) ? NUMBERED : null;
    if (list) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.trim(); i++) {
        const item = list.exec(lines[i]!);
        if (item) items.push(item[1]!);
        else if (startsBlock(lines[i]!)) break;
        else items[items.length - 1] += `\n${lines[i]!.trim()}`;
      }
      blocks.push({ t: list === BULLET ? "ul" : "ol", items: items.map((s) => parseInline(s)) });
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted: string[] = [];
      for (; i < lines.length && QUOTE.test(lines[i]!); i++) quoted.push(QUOTE.exec(lines[i]!)![1]!);
      blocks.push({ t: "q", c: parseInline(quoted.join("\n")) });
      continue;
    }
    const para: string[] = [];
    for (; i < lines.length && lines[i]!.trim() && (para.length === 0 || !startsBlock(lines[i]!)); i++) para.push(lines[i]!);
    blocks.push({ t: "p", c: parseInline(para.join("\n")) });
  }
  return blocks;
}
