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
const DROPPED =
  "script, style, noscript, template, nav, aside, svg, math, iframe, object, embed, canvas, select, button, dialog, " +
  "[hidden], [aria-hidden=true], [role=navigation], [role=banner], [role=contentinfo], [role=complementary]";
/** Page-level furniture: dropped, except inside <article> or <main> where a header holds the article's own title. */
const FURNITURE = "header, footer";
/** Elements that start and end a paragraph. */
const BLOCKS =
  "p, div, section, article, main, blockquote, pre, ul, ol, dl, table, figure, figcaption, address, details, summary, " +
  "caption, form, fieldset, legend, hr, center, body, header, footer";
/** Elements that start a new line within the paragraph. */
const LINES = "li, dt, dd, br";
const HEADINGS = ["h1", "h2", "h3", "h4", "h5", "h6"] as const;

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
    return rewriter
      .on("title", { element: (el) => this.#onTitle(el) })
      .on('meta[property="og:title"]', {
        element: (el) => {
          this.#ogTitle ??= el.getAttribute("content");
        },
      })
      .on("article, main", { element: (el) => this.#track(el, () => this.#contentDepth++, () => this.#contentDepth--) })
      .on(DROPPED, { element: (el) => this.#skip(el) })
      .on(FURNITURE, { element: (el) => (this.#contentDepth === 0 ? this.#skip(el) : undefined) })
      // Table handlers come before the block ones so a row is closed before its table's paragraph is.
      .on("table", { element: (el) => this.#track(el, () => undefined, () => this.#endRow()) })
      .on("tr", { element: (el) => this.#track(el, () => this.#startRow(), () => this.#endRow()) })
      .on("td, th", { element: () => this.#startCell() })
      .on(BLOCKS, { element: (el) => this.#track(el, () => this.#block(el.tagName === "pre"), () => this.#endBlock(el.tagName === "pre")) })
      .on(HEADINGS.join(", "), { element: (el) => this.#track(el, () => this.#startHeading(el.tagName), () => this.#flush()) })
      .on(LINES, { element: () => this.#flush() })
      .onDocument({ text: (chunk) => this.#text(chunk.text) });
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

  #onTitle(el: Element): void {
    // Only the document's first <title>; an SVG's <title> sits inside a dropped element.
    const counts = this.#skipDepth === 0 && this.#title === null;
    this.#track(
      el,
      () => {
        this.#skipDepth++;
        this.#readingTitle = counts;
      },
      () => {
        this.#skipDepth--;
        this.#readingTitle = false;
      },
    );
  }

  #skip(el: Element): void {
    this.#raw += " "; // what comes after a dropped element is not glued to what came before
    this.#track(
      el,
      () => this.#skipDepth++,
      () => this.#skipDepth--,
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

  #startHeading(tag: string): void {
    this.#block(false);
    this.#heading = Number(tag.slice(1));
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

  /** Runs `open` now and `close` at the element's end tag; elements that cannot have one close at once. */
  #track(el: Element, open: () => unknown, close: () => unknown): void {
    open();
    try {
      el.onEndTag(() => {
        close();
      });
    } catch {
      close(); // void elements (<br>, <input hidden>) have no end tag to wait for
    }
  }
}
