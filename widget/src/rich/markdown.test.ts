import { describe, expect, it } from "vitest";
import { parseInline, parseMarkdown, safeHref } from "./markdown";

describe("the Markdown reader", () => {
  it("reads paragraphs, headings, lists, quotes and fenced code as a tree of plain data", () => {
    const tree = parseMarkdown("# Delivery\n\nIt takes **2 to 4** days.\nExpress is *faster*.\n\n- one\n- two\n\n1. first\n2. second\n\n> quoted\n\n```\nconst x = 1;\n```");
    expect(tree).toEqual([
      { t: "h", c: ["Delivery"] },
      { t: "p", c: ["It takes ", { t: "b", c: ["2 to 4"] }, " days.", { t: "br" }, "Express is ", { t: "i", c: ["faster"] }, "."] },
      { t: "ul", items: [["one"], ["two"]] },
      { t: "ol", items: [["first"], ["second"]] },
      { t: "q", c: ["quoted"] },
      { t: "pre", text: "const x = 1;" },
    ]);
  });

  it("keeps HTML as text: nothing in a message can become markup", () => {
    expect(parseMarkdown('<img src=x onerror="alert(1)"><script>alert(2)</script>')).toEqual([
      { t: "p", c: ['<img src=x onerror="alert(1)"><script>alert(2)</script>'] },
    ]);
  });

  it("links only to http(s) and mailto addresses; anything else stays text", () => {
    expect(parseInline("[help](https://example.com/help) and [mail](mailto:help@example.com)")).toEqual([
      { t: "a", href: "https://example.com/help", c: ["help"] },
      " and ",
      { t: "a", href: "mailto:help@example.com", c: ["mail"] },
    ]);
    for (const bad of ["javascript:alert(1)", "data:text/html,<b>x</b>", "vbscript:x", "/relative", "//evil.example"]) {
      expect(parseInline(`[x](${bad})`), bad).toEqual([`[x](${bad})`]);
      expect(safeHref(bad)).toBeNull();
    }
    expect(parseInline("see https://example.com/a.")).toEqual(["see ", { t: "a", href: "https://example.com/a", c: ["https://example.com/a"] }, "."]);
  });

  it("turns [n] into citations, `code` into code, and honours backslash escapes", () => {
    expect(parseInline("Two days [1][2]. Use `npm start`. Not \\*bold\\*.")).toEqual([
      "Two days ",
      { t: "cite", n: 1 },
      { t: "cite", n: 2 },
      ". Use ",
      { t: "code", text: "npm start" },
      ". Not *bold*.",
    ]);
  });

  it("reads visitor text plainly: only links and line breaks", () => {
    expect(parseMarkdown("**not bold** [1]\n[photo.png](https://api.test/x)", { plain: true })).toEqual([
      { t: "p", c: ["**not bold** [1]", { t: "br" }, { t: "a", href: "https://api.test/x", c: ["photo.png"] }] },
    ]);
  });
});
