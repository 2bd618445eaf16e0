/**
 * An index's BM25 statistics for the keyword leg (chunks in the index, chunks matching a term),
 * kept in the object's memory until the index changes. The index stems its terms (porter), so a
 * query word's count cannot be looked up by its text in an `fts5vocab` table; it is counted with
 * the same `MATCH` the search uses, once per word and version of the index.
 */

/** Words whose counts are kept; past it the cache starts over (a count costs one index lookup). */
const MAX_CACHED_TERMS = 10_000;

/** Chunk and per-term match counts of one knowledge index; `invalidate()` after every write. */
export class TermCounts {
  private chunks: number | null = null;
  private readonly matching = new Map<string, number>();

  /** Forgets every count: call after chunks are added or removed. */
  invalidate(): void {
    this.chunks = null;
    this.matching.clear();
  }

  /** N and each term's n in `sql`'s `chunks_fts`, from memory where known. */
  read(sql: SqlStorage, terms: readonly string[]): { chunks: number; matching: number[] } {
    this.chunks ??= sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks").one().n;
    const matching = terms.map((term) => {
      const known = this.matching.get(term);
      if (known !== undefined) return known;
      const n = sql.exec<{ n: number }>("SELECT count(*) AS n FROM chunks_fts WHERE chunks_fts MATCH ?", `"${term.replace(/"/g, '""')}"`).one().n;
      if (this.matching.size >= MAX_CACHED_TERMS) this.matching.clear();
      this.matching.set(term, n);
      return n;
    });
    return { chunks: this.chunks, matching };
  }
}
