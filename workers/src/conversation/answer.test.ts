import { describe, expect, it } from "vitest";
import { searchableText } from "./answer";

describe("searchableText", () => {
  it("drops attachment links and bare URLs, keeping the visitor's words", () => {
    expect(searchableText("My battery looks swollen [photo.jpg](https://api.example/att/1) what now?")).toBe(
      "My battery looks swollen what now?",
    );
    expect(searchableText("see https://shop.example/order/42 — where is it?")).toBe("see — where is it?");
    expect(searchableText("![x](https://a/b.png)")).toBe("");
  });
});
