import { describe, expect, it } from "vitest";
import { HashEmbedder } from "../embeddings/hash-embedder";
import { normalizeInPlace } from "../embeddings/vector-math";
import { CodeMatrix } from "./code-matrix";
import { dequantize, encodeInt4, int4RowBytes, int8Cosine, quantizeInt8 } from "./quantize";
import { seededRandom } from "../../lib/seeded-random";


const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

/** Random int8 codes with about a third of the dimensions zero, as quantised embeddings have. */
function randomCodes(next: () => number, dimensions: number): Int8Array {
  return Int8Array.from({ length: dimensions }, () => (next() < 0.33 ? 0 : Math.round(next() * 254 - 127)));
}

/** The approximate cosine the int4 pass stands for, decoded nibble by nibble in float64: weight × Σ query·int4. */
function int4Score(query: Float32Array, codes: Int8Array): number {
  const row = new Uint8Array(int4RowBytes(codes.length));
  const weight = encodeInt4(codes, row);
  let sum = 0;
  for (let i = 0; i < codes.length; i++) {
    const byte = row[i >> 1] as number;
    sum += (query[i] as number) * ((i & 1 ? byte >> 4 : byte & 15) - 8);
  }
  return sum * weight;
}

/**
 * Checks `matrix.candidates(query, count)` against scoring every live row one by one: as many
 * rows as asked for (or held), each live and once, best first, each score the row's own, and no
 * row left out that scores above the last one kept (up to float rounding).
 */
function expectBruteForceTop(matrix: CodeMatrix, live: Map<number, Int8Array>, query: Float32Array, count: number): void {
  const EPSILON = 1e-6;
  const found = matrix.candidates(query, count);
  expect(found).toHaveLength(Math.min(count, live.size));
  expect(new Set(found.map((c) => c.seq)).size).toBe(found.length);
  const reference = new Map([...live].map(([seq, codes]) => [seq, int4Score(query, codes)]));
  found.forEach((c, i) => {
    const expected = reference.get(c.seq);
    expect(expected, `row ${c.seq} is not live`).toBeDefined();
    expect(Math.abs(c.score - (expected as number)), `score of row ${c.seq}`).toBeLessThan(EPSILON);
    if (i > 0) expect(c.score).toBeLessThanOrEqual((found[i - 1] as { score: number }).score);
  });
  const kept = new Set(found.map((c) => c.seq));
  const lowest = found.at(-1)?.score ?? Infinity;
  const missed = [...reference].filter(([seq, score]) => !kept.has(seq) && score > lowest + EPSILON);
  expect(missed, "rows scoring above the last candidate").toEqual([]);
}

describe("vector quantisation", () => {
  it("keeps a vector's cosine within 0.01 through int8, and has no codes for a zero vector", () => {
    const next = seededRandom(1);
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
    const next = seededRandom(7);
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

  it("proposes the same rows as scoring each row alone, across blocks, after replacements and deletes", () => {
    const dimensions = 37; // odd: the last byte's high nibble is padding
    const next = seededRandom(11);
    const matrix = new CodeMatrix(dimensions);
    const live = new Map<number, Int8Array>();
    const put = (seq: number) => {
      const codes = randomCodes(next, dimensions);
      matrix.set(seq, codes);
      live.set(seq, codes);
    };
    const queries = () => [
      normalizeInPlace(Float32Array.from({ length: dimensions }, () => next() * 2 - 1)), // dense
      normalizeInPlace(Float32Array.from({ length: dimensions }, (_, i) => (i % 7 === 3 || i === 36 ? next() * 2 - 1 : 0))), // a few bytes active
      normalizeInPlace(Float32Array.from({ length: dimensions }, (_, i) => (i === 5 ? 1 : 0))), // one nibble of one byte
    ];
    const check = () => {
      expect(matrix.size).toBe(live.size);
      for (const query of queries()) for (const count of [1, 40, 5000]) expectBruteForceTop(matrix, live, query, count);
    };

    for (let seq = 0; seq < 2600; seq++) put(seq); // three blocks, the last one partly filled
    check();
    for (let i = 0; i < 300; i++) put(Math.floor(next() * 2600)); // replaced in place
    check();
    // Deletes from every block, until the third block empties and the second is partly filled.
    for (const seq of [0, 1023, 1024, 2047, 2048, 2599]) expect(matrix.delete(seq)).toBe(true);
    for (const seq of [0, 1023, 1024, 2047, 2048, 2599]) live.delete(seq);
    while (live.size > 1500) {
      const seqs = [...live.keys()];
      const seq = seqs[Math.floor(next() * seqs.length)] as number;
      expect(matrix.delete(seq)).toBe(true);
      live.delete(seq);
    }
    check();
    for (let seq = 10_000; seq < 10_700; seq++) put(seq); // grows into a new third block again
    for (let i = 0; i < 100; i++) put([...live.keys()][Math.floor(next() * live.size)] as number);
    check();
  });
});
