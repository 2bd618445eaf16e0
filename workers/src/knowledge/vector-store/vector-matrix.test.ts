import { describe, expect, it } from "vitest";
import { normalizeInPlace } from "../embeddings/vector-math";
import { VectorMatrix } from "./vector-matrix";
import { seededRandom } from "../../lib/seeded-random";

const DIMS = 12;
const metadata = (id: string) => ({ document_id: `doc_${id}`, chunk_id: id, workspace_id: "ws" });


/** The top `k` of `reference` by brute force, as the matrix should answer. */
function bruteForce(reference: Map<string, Float32Array>, query: Float32Array, k: number): string[] {
  return [...reference.entries()]
    .map(([id, v]) => ({ id, score: v.reduce((sum, x, i) => sum + x * (query[i] ?? 0), 0) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k)
    .map((r) => r.id);
}

describe("vector matrix", () => {
  it("stays exact through thousands of inserts, replacements and deletes across blocks", () => {
    const next = seededRandom(42);
    const unit = () => normalizeInPlace(Float32Array.from({ length: DIMS }, () => next() * 2 - 1));
    const matrix = new VectorMatrix(DIMS);
    const reference = new Map<string, Float32Array>();
    for (let step = 0; step < 6000; step++) {
      const id = `chk_${Math.floor(next() * 2600)}`;
      // Grow past two blocks, then shrink back below one, then grow again.
      const deleting = step % 3000 > 2000 ? next() < 0.9 : next() < 0.2;
      if (deleting) {
        expect(matrix.delete(id)).toBe(reference.delete(id));
      } else {
        const v = unit();
        matrix.set(id, v, metadata(id));
        reference.set(id, v);
      }
      if (step % 500 === 0 || step === 5999) {
        expect(matrix.size).toBe(reference.size);
        const dense = unit();
        expect(matrix.search(dense, 10).map((m) => m.id)).toEqual(bruteForce(reference, dense, 10));
        const sparse = new Float32Array(DIMS);
        sparse[3] = 0.6;
        sparse[7] = -0.8;
        expect(matrix.search(sparse, 10).map((m) => m.id)).toEqual(bruteForce(reference, sparse, 10));
      }
    }
    expect(reference.size).toBeGreaterThan(1024);
  });

  it("returns metadata copies with each match", () => {
    const matrix = new VectorMatrix(2);
    matrix.set("chk_a", Float32Array.of(1, 0), metadata("chk_a"));
    const [match] = matrix.search(Float32Array.of(1, 0), 5);
    expect(match).toEqual({ id: "chk_a", score: 1, metadata: metadata("chk_a") });
    if (match) match.metadata.document_id = "changed";
    expect(matrix.search(Float32Array.of(1, 0), 1)[0]?.metadata.document_id).toBe("doc_chk_a");
  });
});
