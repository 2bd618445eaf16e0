import { describe, expect, it } from "vitest";
import { parsePlainText } from "./plain-text";

describe("parsePlainText", () => {
  it("takes a short first line as the title and splits paragraphs at blank lines", () => {
    const text = "Shipping Policy\r\n\r\nOrders ship within 2 days.\r\nTracking is emailed.\r\n\r\n\r\nReturns\u00A0are free.\u0007\n";
    expect(parsePlainText(text)).toEqual({
      title: "Shipping Policy",
      sections: [{ heading: "Shipping Policy", level: 1, text: "Orders ship within 2 days.\nTracking is emailed.\n\nReturns are free." }],
    });
  });

  it("does not take a sentence for a title", () => {
    const parsed = parsePlainText("We ship worldwide.\n\nDuties are extra.");
    expect(parsed.title).toBeUndefined();
    expect(parsed.sections).toEqual([{ heading: null, level: 0, text: "We ship worldwide.\n\nDuties are extra." }]);
  });

  it("normalises to NFC", () => {
    const decomposed = "Cafe\u0301 menu\n\ncre\u0300me brule\u0301e.";
    const parsed = parsePlainText(decomposed);
    expect(parsed.title).toBe("Café menu");
    expect(parsed.sections[0]?.text).toBe("crème brulée.");
  });
});
