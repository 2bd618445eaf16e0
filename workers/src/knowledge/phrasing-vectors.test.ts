import { describe, expect, it } from "vitest";
import { embeddingText } from "./index-chunks";
import { phrasingEmbeddingText } from "./phrasing-vectors";

describe("the text a phrasing is embedded from", () => {
  it("is its document's first chunk as ingestion embeds it, with the phrasing as the first line", () => {
    const head = { heading: "Damage", content: "Anything that arrives damaged gets replaced." };
    expect(phrasingEmbeddingText("cracked helmet?", "Returns", head)).toBe(`cracked helmet?\n${embeddingText("Returns", head)}`);
    expect(phrasingEmbeddingText("cracked helmet?", "Returns", { heading: null, content: "Replaced." })).toBe(
      `cracked helmet?\n${embeddingText("Returns", { heading: null, content: "Replaced." })}`,
    );
    expect(phrasingEmbeddingText("cracked helmet?", "Returns", null)).toBe("cracked helmet?\nReturns");
  });
});
