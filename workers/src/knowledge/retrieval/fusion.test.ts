import { describe, expect, it } from "vitest";
import { aggregateByDocument, combineLegs, normalizeScores } from "./fusion";
import { matchExpression, queryTerms } from "./tokens";

const chunk = (chunkId: string, documentId: string, score: number) => ({ chunkId, documentId, score });

describe("retrieval decisions", () => {
  it("scores a document by its best chunk, plus only ε of its other chunks", () => {
    const chunks = [chunk("a1", "a", 5), chunk("b1", "b", 4.5), chunk("a2", "a", 4), chunk("a3", "a", 4)];
    expect(aggregateByDocument(chunks, 0).map((d) => [d.documentId, d.score])).toEqual([
      ["a", 5],
      ["b", 4.5],
    ]);
    // Plain sums would let a long document win on volume: a = 13 against b = 4.5.
    expect(aggregateByDocument(chunks, 0.1).map((d) => [d.documentId, d.score])).toEqual([
      ["a", 5.8],
      ["b", 4.5],
    ]);
    expect(aggregateByDocument([chunk("x2", "x", 1), chunk("x1", "x", 3)], 0)[0]?.chunks.map((c) => c.chunkId)).toEqual(["x1", "x2"]);
  });

  it("keeps score gaps that rank fusion would lose", () => {
    // Keyword: a far ahead of b. Vector: b barely ahead of a. Rank fusion calls it a tie.
    const keyword = aggregateByDocument([chunk("a1", "a", 20), chunk("b1", "b", 2), chunk("c1", "c", 1)], 0);
    const vector = aggregateByDocument([chunk("b1", "b", 0.52), chunk("a1", "a", 0.5), chunk("c1", "c", 0.1)], 0);
    expect(combineLegs(keyword, vector, "minmax", 0.5).map((d) => d.documentId)).toEqual(["a", "b", "c"]);
    expect(normalizeScores(keyword, "minmax").get("a")).toBe(1);
    expect(normalizeScores(keyword, "minmax").get("c")).toBe(0);
  });

  it("gives a document missing from one leg that leg's floor, and breaks ties by the keyword leg", () => {
    const keyword = aggregateByDocument([chunk("a1", "a", 3), chunk("b1", "b", 1)], 0);
    const vector = aggregateByDocument([chunk("b1", "b", 0.9), chunk("a1", "a", 0.1)], 0);
    expect(combineLegs(keyword, vector, "minmax", 0.5).map((d) => d.documentId)).toEqual(["a", "b"]);
    const only = combineLegs(keyword, aggregateByDocument([chunk("z1", "z", 0.9)], 0), "minmax", 0.6);
    expect(only.map((d) => d.documentId)).toEqual(["a", "z", "b"]);
  });

  it("cuts questions into distinct terms without any stopword list, and quotes them for FTS5", () => {
    expect(queryTerms("How long does it take? It's 2 days, isn't it")).toEqual(["how", "long", "does", "it", "take", "2", "days", "isn"]);
    expect(queryTerms("Devolución del PEDIDO")).toEqual(["devolucion", "del", "pedido"]);
    expect(matchExpression(['say "hi"', "or"])).toBe('"say ""hi""" OR "or"');
    expect(matchExpression([])).toBeNull();
  });
});
