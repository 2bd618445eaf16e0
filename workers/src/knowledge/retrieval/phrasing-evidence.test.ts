import { describe, expect, it } from "vitest";
import type { ScoredChunk } from "./backend";
import type { RankedDocument } from "./fusion";
import { bestPerDocument, documentsMissing, fts5Idf, phrasingKeywordScore, withPhrasingEvidence } from "./phrasing-evidence";

const chunk = (documentId: string, score: number): ScoredChunk => ({ chunkId: `chk_${documentId}`, documentId, score });
const doc = (documentId: string, score: number): RankedDocument => ({ documentId, score, chunks: [chunk(documentId, score)] });

describe("a phrasing's keyword score", () => {
  it("is FTS5's bm25 of a row holding the phrasing as its title", () => {
    // FTS5, 3 rows, 27 tokens, "return" in 1 row: row "How to return" + 9 content tokens scores 0.96327 (computed by SQLite).
    const idf = fts5Idf(3, 1);
    expect(idf).toBeCloseTo(Math.log(2.5 / 1.5), 12);
    const asTitle = phrasingKeywordScore({ phrasingId: "p", documentId: "d", length: 3, frequencies: [1] }, [idf], 8, 9);
    expect(asTitle).toBeCloseTo(idf * ((8 * 2.2) / (8 + 1.2 * (0.25 + (0.75 * 3) / 9))), 12);
  });

  it("gives a term in half the rows or more almost nothing, as FTS5 does", () => {
    expect(fts5Idf(4, 2)).toBe(1e-6);
    expect(fts5Idf(4, 4)).toBe(1e-6);
  });

  it("counts nothing for terms the phrasing lacks, and treats an unknown average length as the phrasing's own", () => {
    const m = { phrasingId: "p", documentId: "d", length: 5, frequencies: [0, 2] };
    expect(phrasingKeywordScore(m, [3, 1], 8, null)).toBeCloseTo((16 * 2.2) / (16 + 1.2), 12);
    expect(phrasingKeywordScore({ ...m, frequencies: [0, 0] }, [3, 1], 8, 10)).toBe(0);
  });
});

describe("phrasing evidence in a leg's ranking", () => {
  it("keeps each document's best phrasing", () => {
    expect(bestPerDocument([{ documentId: "a", score: 1 }, { documentId: "b", score: 3 }, { documentId: "a", score: 2 }])).toEqual([
      { documentId: "b", score: 3 },
      { documentId: "a", score: 2 },
    ]);
  });

  it("scores a document as the better of its chunk and its phrasing, and adds documents found only through phrasings", () => {
    const docs = [doc("a", 5), doc("b", 4), doc("c", 1)];
    const evidence = [{ documentId: "c", score: 6 }, { documentId: "a", score: 2 }, { documentId: "new", score: 4.5 }, { documentId: "empty", score: 9 }];
    expect(documentsMissing(docs, evidence)).toEqual(["new", "empty"]);
    const merged = withPhrasingEvidence(docs, evidence, [chunk("new", 0)]);
    expect(merged.map((d) => [d.documentId, d.score])).toEqual([
      ["c", 6],
      ["a", 5],
      ["new", 4.5],
      ["b", 4],
    ]);
    // A document keeps its own best chunk; one found through phrasings only is cited by its representative chunk.
    expect(merged[0]!.chunks).toEqual([chunk("c", 1)]);
    expect(merged[2]!.chunks).toEqual([chunk("new", 0)]);
  });

  it("changes nothing without evidence", () => {
    const docs = [doc("a", 5), doc("b", 4)];
    expect(withPhrasingEvidence(docs, [], [])).toEqual(docs);
  });
});
