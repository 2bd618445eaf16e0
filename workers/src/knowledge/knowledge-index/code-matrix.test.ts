import { describe, expect, it } from "vitest";
import { HashEmbedder } from "../embeddings/hash-embedder";
import { normalizeInPlace } from "../embeddings/vector-math";
import { CodeMatrix } from "./code-matrix";
import { dequantize, int8Cosine, quantizeInt8 } from "./quantize";

function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

describe("vector quantisation", () => {
  it("keeps a vector's cosine within 0.01 through int8, and has no codes for a zero vector", () => {
    const next = seeded(1);
    const v = normalizeInPlace(Float32Array.from({ length: 1536 }, () => next() * 2 - 1));
    const q = normalizeInPlace(Float32Array.from({ length: 1536 }, () => next() * 2 - 1));
    const int8 = quantizeInt8(v)!;
    expect(int8.codes).toHaveLength(1536);
    expect(Math.abs(int8Cosine(q, int8.codes) - dot(q, v))).toBeLessThan(0.01);
    const back = dequantize(int8);
    expect(Math.abs(dot(back, v) / Math.sqrt(dot(back, back)) - 1)).toBeLessThan(1e-3);
    expect(quantizeInt8(new Float32Array(8))).toBeNull();
  });

  it("puts the exact top 5 among the int4 pass's 20 candidates, for hash-embedder texts", async () => {
    const words = "refund shipping battery warranty invoice parcel password frame motor winter charge express card return order account".split(" ");
    const next = seeded(7);
    const texts = Array.from({ length: 400 }, () => Array.from({ length: 30 }, () => words[Math.floor(next() * words.length)]).join(" "));
    const hash = new HashEmbedder();
    const vectors = await hash.embed(texts);
    const matrix = new CodeMatrix(hash.dimensions);
    vectors.forEach((v, i) => matrix.set(i, quantizeInt8(v)!.codes));
    for (const question of ["refund to my card", "battery charge in winter", "reset account password"]) {
      const q = hash.embedOne(question);
      const exact = vectors
        .map((v, i) => ({ i, s: dot(v, q) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 5)
        .map((x) => x.i);
      const candidates = matrix.candidates(q, 20).map((c) => c.seq);
      expect(candidates, question).toEqual(expect.arrayContaining(exact));
    }
  });

  it("never proposes a deleted row, and keeps the others after the last row moves into its place", () => {
    const matrix = new CodeMatrix(4);
    const rows = [Float32Array.of(1, 0, 0, 0), Float32Array.of(0, 1, 0, 0), Float32Array.of(0, 0, 1, 0), Float32Array.of(0.7, 0.7, 0, 0)];
    rows.forEach((v, seq) => matrix.set(seq + 100, quantizeInt8(v)!.codes));
    expect(matrix.delete(100)).toBe(true);
    expect(matrix.delete(100)).toBe(false);
    expect(matrix.size).toBe(3);
    const found = matrix.candidates(Float32Array.of(1, 0, 0, 0), 10).map((c) => c.seq);
    expect(found).not.toContain(100);
    expect(found[0]).toBe(103);
    expect(found.sort()).toEqual([101, 102, 103]);
  });
});
