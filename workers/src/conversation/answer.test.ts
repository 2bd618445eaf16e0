import { describe, expect, it } from "vitest";
import { searchQuery, searchableText } from "./answer";

describe("searchableText", () => {
  it("drops attachment links and bare URLs, keeping the visitor's words", () => {
    expect(searchableText("My battery looks swollen [photo.jpg](https://api.example/att/1) what now?")).toBe(
      "My battery looks swollen what now?",
    );
    expect(searchableText("see https://shop.example/order/42 — where is it?")).toBe("see — where is it?");
    expect(searchableText("![x](https://a/b.png)")).toBe("");
  });
});

describe("searchQuery", () => {
  it("adds the word a set phrase stands for, so an article using that word is found", () => {
    expect(searchQuery("When do I get my money back?")).toBe("When do I get my money back? refund");
    expect(searchQuery("How do I send it back?")).toBe("How do I send it back? return");
    expect(searchQuery("How long does shipping take?")).toBe("How long does shipping take?");
    expect(searchQuery("Can I return it and get my money back?")).toBe("Can I return it and get my money back? refund");
  });
});
