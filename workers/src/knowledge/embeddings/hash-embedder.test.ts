import { describe, expect, it } from "vitest";
import { HASH_DIMENSIONS, HashEmbedder, hash32 } from "./hash-embedder";
import { dot } from "./vector-math";

const embedder = new HashEmbedder();

function length(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

async function similarity(a: string, b: string): Promise<number> {
  const [va, vb] = await embedder.embed([a, b]);
  return dot(va ?? new Float32Array(), vb ?? new Float32Array());
}

describe("hash embedder", () => {
  it("names its feature version and dimension, so stored vectors say what made them", () => {
    expect(embedder.dimensions).toBe(HASH_DIMENSIONS);
    expect(embedder.name).toBe(`hash:v1-${HASH_DIMENSIONS}`);
  });

  it("gives the same vector for the same text, in any instance and any batch", async () => {
    const text = "How long do refunds take to reach my card?";
    const [alone] = await new HashEmbedder().embed([text]);
    const batch = await embedder.embed(["something else", text, text]);
    expect(batch[1]).toEqual(alone);
    expect(batch[2]).toEqual(alone);
  });

  it("keeps its features fixed: changing them must bump the feature version", async () => {
    // Stored vectors are only comparable with today's queries while this holds.
    expect(hash32("refund")).toBe(2336195408);
    const [v] = await embedder.embed(["Refunds are processed within 5 business days"]);
    const nonZero = [...(v ?? [])].flatMap((x, i) => (x === 0 ? [] : [[i, Math.round(x * 1e4) / 1e4]]));
    expect(nonZero).toEqual(PINNED_FEATURES);
  });

  it("returns unit-length vectors of its dimension, and the zero vector for text without terms", async () => {
    const [long, short, blank, stopwords] = await embedder.embed([
      "Our refund policy: unopened items can be returned within 30 days for a full refund.",
      "refund",
      "   ",
      "how do I do it?",
    ]);
    expect(long).toHaveLength(HASH_DIMENSIONS);
    expect(length(long ?? new Float32Array())).toBeCloseTo(1, 5);
    expect(length(short ?? new Float32Array())).toBeCloseTo(1, 5);
    expect(length(blank ?? new Float32Array(1))).toBe(0);
    expect(length(stopwords ?? new Float32Array(1))).toBe(0);
  });

  it("puts a question nearer its answer than an unrelated passage", async () => {
    const question = "How do I get a refund for my order?";
    const answer = "Refunds: orders can be refunded within 30 days of delivery from the Orders page.";
    const unrelated = "To reset your password, open the login page and choose Forgot password.";
    expect(await similarity(question, answer)).toBeGreaterThan(0.2);
    expect(await similarity(question, answer)).toBeGreaterThan((await similarity(question, unrelated)) + 0.2);
  });

  it("meets across case, accents and simple inflections, as the keyword terms do", async () => {
    expect(await similarity("Devolución del pedido", "devolucion PEDIDO")).toBeCloseTo(1, 5);
    expect(await similarity("refunds processed", "refund process")).toBeCloseTo(1, 5);
  });

  it("rewards shared phrases over the same words in another order", async () => {
    const phrase = "reset password link";
    expect(await similarity(phrase, "where is the reset password link")).toBeGreaterThan(await similarity(phrase, "link password reset"));
  });

  it("embeds any number of texts, in order", async () => {
    const texts = Array.from({ length: 250 }, (_, i) => `article ${i} about topic ${i % 7}`);
    const all = await embedder.embed(texts);
    expect(all).toHaveLength(250);
    expect(all[137]).toEqual(embedder.embedOne(texts[137] ?? ""));
  });
});

/** Non-zero buckets of the pinned sentence: six terms at 1, five pairs at 0.5, normalised. */
const PINNED_FEATURES = [
  [483, 0.3714],
  [848, -0.3714],
  [983, 0.3714],
  [1018, -0.1857],
  [1088, -0.1857],
  [1224, -0.1857],
  [1335, -0.3714],
  [1378, -0.1857],
  [1391, -0.1857],
  [1434, 0.3714],
  [1456, -0.3714],
];
