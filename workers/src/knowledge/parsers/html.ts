import { decodeHTML } from "entities";
import { cleanInline } from "./clean-text";
import { SectionBuilder } from "./section-builder";
import type { ParsedDocument } from "./types";

/**
 * HTML pages to sections: the title, headings h1–h6 as section headings, paragraphs, list items
 * and table rows as text, and the page furniture (scripts, styles, navigation, site header and
 * footer, sidebars) left out.
 *
 * Read with workerd's HTMLRewriter (lol-html): a spec-compliant streaming tokenizer built into
 * the runtime, so no parser ships in the bundle and a 25 MB page never becomes a DOM. Two things
 * it does not do are done here: it hands text over raw, so character references are decoded with
 * `entities` (the full HTML5 table, legacy forms like `&amp` included); and it builds no tree, so
 * an element closed only by implication (`<p>` by the next `<p>`) is closed by the next block
 * starting rather than by its end tag.
 */

/** Elements whose content is never part of the document's text. */
const DROPPED = new Set(["script", "style", "noscript", "template", "nav", "aside", "svg", "math", "iframe", "object", "embed", "canvas", "select", "button", "dialog"]);
/** ARIA roles of navigation and page furniture. */
const DROPPED_ROLES = new Set(["navigation", "banner", "contentinfo", "complementary"]);
/** Page-level furniture: dropped, except inside <article> or <main> where a header holds the article's own title. */
const FURNITURE = new Set(["header", "footer"]);
/** Elements that start and end a paragraph. */
const BLOCKS = new Set([
  ...["p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "dl", "table", "figure", "figcaption", "address"],
  ...["details", "summary", "caption", "form", "fieldset", "legend", "hr", "center", "body", "header", "footer"],
]);
/** Elements that start a new line within the paragraph. */
const LINES = new Set(["li", "dt", "dd", "br"]);
const HEADING = /^h([1-6])$/;

/** Title and sections of an HTML page. */
export async function parseHtml(html: string, builder: SectionBuilder = new SectionBuilder()): Promise<ParsedDocument> {
  const reader = new HtmlTextReader(builder);
  const rewritten = reader.attach(new HTMLRewriter()).transform(new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } }));
  // The rewritten page is not needed, only the handlers' side effects: read it to the end.
  const body = rewritten.body?.getReader();
  if (body) while (!(await body.read()).done);
  return reader.finish();
}

/** The handlers' shared state while a page streams through. */
class HtmlTextReader {
  readonly #builder: SectionBuilder;
  #raw = ""; // text of the current line, entities not yet decoded
  #skipDepth = 0; // open elements whose text is dropped
  #contentDepth = 0; // open <article>/<main> elements
  #preDepth = 0;
  #heading = 0; // level of the heading being read, 0 when none
  #cells: string[] | null = null; // cells of the table row being read
  #title: string | null = null;
  #readingTitle = false;
  #ogTitle: string | null = null;
  #firstH1: string | null = null;

  constructor(builder: SectionBuilder) {
    this.#builder = builder;
  }

  attach(rewriter: HTMLRewriter): HTMLRewriter {
    // One handler for every element: workerd keeps a single end-tag handler per element, so
    // everything an element needs done at its end is registered in one go.
    return rewriter.on("*", { element: (el) => this.#element(el) }).onDocument({ text: (chunk) => this.#text(chunk.text) });
  }

  finish(): ParsedDocument {
    this.#endRow();
    this.#flush();
    const declared = [this.#title, this.#ogTitle].map((t) => (t === null ? "" : cleanInline(decodeHTML(t))));
    const title = [...declared, this.#firstH1 ?? ""].find((t) => t !== "");
    return this.#builder.build(title);
  }

  #text(text: string): void {
    if (this.#readingTitle) this.#title = (this.#title ?? "") + text;
    else if (this.#skipDepth === 0) this.#raw += text;
  }

  #element(el: Element): void {
    if (this.#skipDepth > 0) return; // inside a dropped element: its end closes everything
    const tag = el.tagName.toLowerCase();
    const atEnd: (() => void)[] = [];

    if (tag === "title") {
      this.#readingTitle = this.#title === null; // only the document's first <title>
      this.#skipDepth++;
      atEnd.push(() => {
        this.#skipDepth--;
        this.#readingTitle = false;
      });
    } else if (tag === "meta" && el.getAttribute("property") === "og:title") {
      this.#ogTitle ??= el.getAttribute("content");
    } else if (this.#isDropped(el, tag)) {
      this.#raw += " "; // what follows a dropped element is not glued to what came before it
      this.#skipDepth++;
      atEnd.push(() => this.#skipDepth--);
    } else {
      if (tag === "article" || tag === "main") {
        this.#contentDepth++;
        atEnd.push(() => this.#contentDepth--);
      }
      // A table's row closes before its paragraph does.
      if (tag === "table") atEnd.push(() => this.#endRow());
      if (tag === "tr") {
        this.#startRow();
        atEnd.push(() => this.#endRow());
      }
      if (tag === "td" || tag === "th") this.#startCell();
      if (BLOCKS.has(tag)) {
        const pre = tag === "pre";
        this.#block(pre);
        atEnd.push(() => this.#endBlock(pre));
      }
      const heading = HEADING.exec(tag);
      if (heading) {
        this.#block(false);
        this.#heading = Number(heading[1]);
        atEnd.push(() => this.#flush());
      }
      if (LINES.has(tag)) this.#flush();
    }

    if (atEnd.length === 0) return;
    const close = () => {
      for (const action of atEnd) action();
    };
    try {
      el.onEndTag(close);
    } catch {
      close(); // void elements (<br>, <input hidden>) have no end tag to wait for
    }
  }

  #isDropped(el: Element, tag: string): boolean {
    return (
      DROPPED.has(tag) ||
      (FURNITURE.has(tag) && this.#contentDepth === 0) ||
      el.hasAttribute("hidden") ||
      el.getAttribute("aria-hidden") === "true" ||
      DROPPED_ROLES.has(el.getAttribute("role") ?? "")
    );
  }

  #block(pre: boolean): void {
    if (this.#cells !== null) {
      this.#raw += " "; // a block inside a table cell stays in that cell
      return;
    }
    this.#flush();
    this.#builder.endParagraph();
    if (pre) this.#preDepth++;
  }

  #endBlock(pre: boolean): void {
    if (pre) {
      this.#flush();
      this.#preDepth = Math.max(0, this.#preDepth - 1);
    }
    this.#block(false);
  }

  #startRow(): void {
    this.#endRow();
    this.#flush();
    this.#cells = [];
  }

  #startCell(): void {
    if (this.#cells === null) this.#startRow();
    this.#pushCell();
  }

  #pushCell(): void {
    const cell = cleanInline(decodeHTML(this.#raw));
    this.#raw = "";
    if (cell !== "") this.#cells?.push(cell);
  }

  #endRow(): void {
    if (this.#cells === null) return;
    this.#pushCell();
    const row = this.#cells.join(" | ");
    this.#cells = null;
    this.#builder.line(row);
  }

  /** Emits the text read so far: as the heading being read, or as a line of the paragraph. */
  #flush(): void {
    if (this.#cells !== null) {
      this.#raw += " ";
      return;
    }
    const text = decodeHTML(this.#raw);
    this.#raw = "";
    if (this.#heading > 0) {
      const heading = cleanInline(text);
      if (this.#heading === 1 && this.#firstH1 === null && heading !== "") this.#firstH1 = heading;
      this.#builder.heading(this.#heading, heading);
      this.#heading = 0;
    } else {
      this.#builder.line(this.#preDepth > 0 ? text : text.replace(/\s+/g, " "));
    }
  }
}
