import { describe, expect, it } from "vitest";
import { estimateTokens } from "../llm/tokens";
import { chunkDocument, contentHash, DEFAULT_TARGET_TOKENS, type Chunk } from "./chunker";
import type { ParsedDocument } from "./parsers/types";

/** Deterministic prose: numbered sentences of varied length, so every word is distinct. */
function prose(sentences: number, seed = 0): string {
  const words = ["customer", "refund", "shipping", "warranty", "invoice", "account", "password", "delivery", "support", "order"];
  const out: string[] = [];
  for (let i = 0; i < sentences; i++) {
    const length = 8 + ((i * 7 + seed) % 13);
    const sentence = Array.from({ length }, (_, j) => `${words[(i + j + seed) % words.length]}${i}x${j}`).join(" ");
    out.push(`${sentence[0]?.toUpperCase()}${sentence.slice(1)}.`);
  }
  return out.join(" ");
}

function paragraphs(count: number, sentencesEach: number): string {
  return Array.from({ length: count }, (_, i) => prose(sentencesEach, i * 31)).join("\n\n");
}

const doc = (...sections: ParsedDocument["sections"]): ParsedDocument => ({ sections });

/** Every word of `source`, checked to appear whole in some chunk. */
function expectNoWordCut(source: string, chunks: Chunk[]): void {
  const chunkWords = new Set(chunks.flatMap((c) => c.content.split(/\s+/)));
  for (const word of source.split(/\s+/)) expect(chunkWords.has(word), `word "${word}" was cut`).toBe(true);
}

describe("chunkDocument", () => {
  it("returns no chunks for a document without text", () => {
    expect(chunkDocument({ sections: [] })).toEqual([]);
    expect(chunkDocument(doc({ heading: "Empty", level: 1, text: "   " }))).toEqual([]);
  });

  it("keeps a short section as one chunk with its heading", () => {
    const chunks = chunkDocument(doc({ heading: "Returns", level: 2, text: "Items can be returned within 30 days." }));
    expect(chunks).toEqual([{ heading: "Returns", content: "Items can be returned within 30 days.", token_count: estimateTokens("Items can be returned within 30 days."), ordinal: 0 }]);
  });

  it("cuts long sections into chunks near the target size, heading included", () => {
    const text = paragraphs(12, 9);
    const heading = "Shipping and delivery";
    const chunks = chunkDocument(doc({ heading, level: 1, text }));
    expect(chunks.length).toBeGreaterThan(3);
    const headingTokens = estimateTokens(heading) + 2;
    for (const chunk of chunks) {
      expect(chunk.heading).toBe(heading);
      expect(chunk.token_count).toBe(estimateTokens(chunk.content));
      expect(chunk.token_count + headingTokens).toBeLessThanOrEqual(DEFAULT_TARGET_TOKENS * 1.25);
    }
    for (const chunk of chunks.slice(0, -1)) expect(chunk.token_count + headingTokens).toBeGreaterThanOrEqual(DEFAULT_TARGET_TOKENS * 0.5);
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it("overlaps consecutive chunks by about a fifth of the target", () => {
    const chunks = chunkDocument(doc({ heading: null, level: 0, text: prose(200) }));
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]?.content ?? "";
      const current = chunks[i]?.content ?? "";
      let shared = 0;
      for (let n = Math.min(previous.length, current.length); n > 0; n--) {
        if (previous.endsWith(current.slice(0, n))) {
          shared = n;
          break;
        }
      }
      const overlapTokens = estimateTokens(current.slice(0, shared));
      expect(overlapTokens).toBeGreaterThanOrEqual(DEFAULT_TARGET_TOKENS * 0.2 * 0.5);
      expect(overlapTokens).toBeLessThanOrEqual(DEFAULT_TARGET_TOKENS * 0.2);
    }
  });

  it("starts overlaps at a sentence and ends chunks at a sentence or paragraph when it can", () => {
    const chunks = chunkDocument(doc({ heading: null, level: 0, text: paragraphs(10, 8) }));
    for (const chunk of chunks) {
      expect(chunk.content).toMatch(/^[A-Z]/);
      expect(chunk.content).toMatch(/\.$/);
    }
  });

  it("never cuts a word, and the chunks together hold all the text", () => {
    const text = paragraphs(9, 11);
    const chunks = chunkDocument(doc({ heading: "A", level: 1, text }), { targetTokens: 128, overlapRatio: 0.2 });
    expectNoWordCut(text, chunks);
    const covered = chunks.map((c) => c.content).join(" ");
    for (const sentence of text.split(/(?<=\.)\s+/)) expect(covered).toContain(sentence);
  });

  it("honours a configured target and overlap", () => {
    const text = prose(120);
    const small = chunkDocument(doc({ heading: null, level: 0, text }), { targetTokens: 100, overlapRatio: 0 });
    for (const chunk of small) expect(chunk.token_count).toBeLessThanOrEqual(125);
    // Without overlap the chunks are consecutive slices of the text.
    expect(small.map((c) => c.content).join(" ")).toBe(text);
    const large = chunkDocument(doc({ heading: null, level: 0, text }), { targetTokens: 1000 });
    expect(large.length).toBeLessThan(small.length);
  });

  it("folds a tiny remainder into the chunk before it", () => {
    const body = prose(60);
    const text = `${body}\n\nThe end.`;
    const chunks = chunkDocument(doc({ heading: null, level: 0, text }), { targetTokens: 200 });
    const lastChunk = chunks.at(-1);
    expect(lastChunk?.content.endsWith("The end.")).toBe(true);
    expect(lastChunk?.token_count).toBeGreaterThan(200 * 0.25);
  });

  it("keeps sections apart and numbers chunks across them", () => {
    const chunks = chunkDocument(
      doc(
        { heading: "Billing", level: 1, text: prose(80, 1) },
        { heading: "Refunds", level: 2, text: "Refunds take five days." },
        { heading: null, level: 0, text: prose(3, 2) },
      ),
    );
    const headings = chunks.map((c) => c.heading);
    expect(headings.filter((h) => h === "Billing").length).toBeGreaterThan(1);
    expect(chunks.find((c) => c.heading === "Refunds")?.content).toBe("Refunds take five days.");
    expect(headings.at(-1)).toBeNull();
    expect(chunks.map((c) => c.ordinal)).toEqual(chunks.map((_, i) => i));
  });

  it("is deterministic", () => {
    const input = doc({ heading: "X", level: 1, text: paragraphs(8, 10) }, { heading: "Y", level: 2, text: prose(40, 5) });
    expect(chunkDocument(input)).toEqual(chunkDocument(structuredClone(input)));
  });

  it("splits text without spaces at word boundaries, and a giant token at the budget", () => {
    const japanese = "お問い合わせの前にアカウントの設定を確認してください。返品は三十日以内に受け付けます。".repeat(40);
    const chunks = chunkDocument(doc({ heading: null, level: 0, text: japanese }), { targetTokens: 128 });
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.token_count).toBeLessThanOrEqual(160);
    expect(chunks.every((c) => c.content.endsWith("。"))).toBe(true);

    const blob = `Key: ${"A".repeat(5000)} end.`;
    const blobChunks = chunkDocument(doc({ heading: null, level: 0, text: blob }), { targetTokens: 128 });
    for (const chunk of blobChunks) expect(chunk.token_count).toBeLessThanOrEqual(160);
    expect(blobChunks.map((c) => c.content).join("")).toContain("A".repeat(100));
  });
});

describe("contentHash", () => {
  it("is the hex SHA-256 of the UTF-8 text", async () => {
    expect(await contentHash("")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(await contentHash("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(await contentHash("café")).not.toBe(await contentHash("cafe"));
  });
});
