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
  private averageLength: number | null | undefined = undefined;

  /** Forgets every count: call after chunks are added or removed. */
  invalidate(): void {
    this.chunks = null;
    this.matching.clear();
    this.averageLength = undefined;
  }

  /**
   * Tokens per chunk (all columns) as FTS5's bm25() averages them, from the totals FTS5 keeps in
   * its averages record (row 1 of `chunks_fts_data`: the row count, then each column's token
   * total, as SQLite varints). Null for an empty index or a record that cannot be read.
   */
  averageChunkLength(sql: SqlStorage): number | null {
    if (this.averageLength !== undefined) return this.averageLength;
    let average: number | null = null;
    try {
      const block = sql.exec<{ block: ArrayBuffer }>("SELECT block FROM chunks_fts_data WHERE id = 1").toArray()[0]?.block;
      const [rows = 0, ...columns] = block ? readVarints(new Uint8Array(block)) : [];
      const total = columns.reduce((sum, n) => sum + n, 0);
      average = rows > 0 && total > 0 ? total / rows : null;
    } catch {
      average = null;
    }
    this.averageLength = average;
    return average;
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

/** The SQLite varints of `bytes` in order (big-endian, 7 bits a byte, the 9th byte whole). */
export function readVarints(bytes: Uint8Array): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let value = 0;
    for (let k = 0; ; k++) {
      const b = bytes[i++];
      if (b === undefined) return out; // truncated: keep what was whole
      if (k === 8) {
        value = value * 256 + b;
        break;
      }
      value = value * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
    out.push(value);
  }
  return out;
}
