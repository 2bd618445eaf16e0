import { describe, expect, it } from "vitest";
import type { NotionBlock } from "./client";
import { notionPageSections } from "./page-sections";

/** Rich text as Notion sends it: one text run with its plain text. */
const rt = (content: string) => [
  {
    type: "text",
    text: { content, link: null },
    annotations: { bold: false, italic: false, strikethrough: false, underline: false, code: false, color: "default" },
    plain_text: content,
    href: null,
  },
];

let ids = 0;
/** A block of `type` with `body` under its type's key, as the API returns it. */
function block(type: string, body: Record<string, unknown>, children: NotionBlock[] = []): NotionBlock {
  ids += 1;
  return {
    object: "block",
    id: `00000000-0000-4000-8000-${String(ids).padStart(12, "0")}`,
    type,
    [type]: body,
    has_children: children.length > 0,
    children,
  } as unknown as NotionBlock;
}
const text = (type: string, content: string, children: NotionBlock[] = []) => block(type, { rich_text: rt(content), color: "default" }, children);

describe("notionPageSections", () => {
  it("starts sections at headings and keeps lists, nested items, tables, code, quotes and toggles as a reader sees them", () => {
    const doc = notionPageSections("Returns policy", [
      text("paragraph", "Read this before sending anything back."),
      text("heading_1", "Returning an order"),
      text("bulleted_list_item", "Refunds", [text("bulleted_list_item", "Paid back within 5 days", [text("numbered_list_item", "Cards first")])]),
      text("bulleted_list_item", "Exchanges"),
      block("to_do", { rich_text: rt("Pack the box"), checked: true, color: "default" }),
      text("quote", "Couriers collect on weekdays."),
      text("heading_2", "Costs"),
      block("table", { table_width: 2, has_column_header: true }, [
        block("table_row", { cells: [rt("Region"), rt("Cost")] }),
        block("table_row", { cells: [rt("Overseas"), rt("12 euros")] }),
      ]),
      block("code", { rich_text: rt("line one\nline two"), language: "plain text", caption: [] }),
      text("toggle", "Gift cards?", [text("paragraph", "Final sale.")]),
      block("divider", {}),
      block("column_list", {}, [block("column", {}, [text("paragraph", "In a column.")])]),
      block("image", { type: "external", external: { url: "https://example.com/a.png" }, caption: rt("The returns label") }),
      block("child_page", { title: "A page of its own" }),
    ]);
    expect(doc).toEqual({
      title: "Returns policy",
      sections: [
        { heading: null, level: 0, text: "Read this before sending anything back." },
        {
          heading: "Returning an order",
          level: 1,
          text: "Refunds\n› Paid back within 5 days\n› › Cards first\nExchanges\n[x] Pack the box\n\nCouriers collect on weekdays.",
        },
        {
          heading: "Costs",
          level: 2,
          text: "Region | Cost\nOverseas | 12 euros\n\nline one\nline two\n\nGift cards?\n\nFinal sale.\n\nIn a column.\n\nThe returns label",
        },
      ],
    });
  });

  it("reads a toggleable heading's content under it and joins rich text runs", () => {
    const heading = block("heading_3", { rich_text: [...rt("Ship"), ...rt("ping")], is_toggleable: true, color: "default" }, [text("paragraph", "Two days.")]);
    expect(notionPageSections("FAQ", [heading]).sections).toEqual([{ heading: "Shipping", level: 3, text: "Two days." }]);
  });
});
