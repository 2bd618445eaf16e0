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
    expect(embedder.name).toBe(`hash:v2-${HASH_DIMENSIONS}`);
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
    expect(nonZero).toHaveLength(PINNED_NON_ZERO);
    expect(nonZero.filter(([, x]) => Math.abs(x ?? 0) > 0.1)).toEqual(PINNED_FEATURES);
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

  it("meets across case, accents and plurals", async () => {
    expect(await similarity("Devolución pedido", "devolucion PEDIDOS")).toBeCloseTo(1, 5);
    expect(await similarity("refunds policies", "refund policy")).toBeCloseTo(1, 5);
  });

  it("brings other inflections and compounds together through character n-grams", async () => {
    // Different words (no shared whole word), so only their shared 3- and 4-grams meet.
    expect(await similarity("refunded", "refunds")).toBeGreaterThan(0.25);
    expect(await similarity("login", "log in")).toBeGreaterThan(0.2);
    expect(await similarity("refunded", "password")).toBeLessThan(0.05);
  });

  it("keeps question words that carry meaning, and drops only function words", async () => {
    // "long" and "take" were once dropped as question scaffolding; they say what is asked.
    expect(await similarity("how long does it take", "the long take")).toBeCloseTo(1, 5);
    expect(await similarity("how long does it take", "shipping")).toBeLessThan(0.1);
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

/** Non-zero buckets of the pinned sentence: words at 1, pairs at 0.5, character n-grams, normalised. */
const PINNED_NON_ZERO = 69;
/** Its buckets above 0.1 in magnitude: the words, pairs and strongest n-gram collisions. */
const PINNED_FEATURES = [
  [103, 0.1379],
  [193, 0.2758],
  [445, -0.1133],
  [483, 0.2758],
  [783, -0.1379],
  [826, 0.1379],
  [848, -0.2758],
  [983, 0.2758],
  [1088, -0.1379],
  [1106, 0.1233],
  [1258, 0.1379],
  [1322, 0.1233],
  [1390, 0.1233],
  [1427, -0.2758],
  [1434, 0.2758],
  [1452, -0.1233],
  [1497, 0.1233],
  [1535, -0.2758],
];
