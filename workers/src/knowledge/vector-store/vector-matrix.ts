import type { VectorMatch, VectorMetadata } from "./vector-store";

/**
 * Exact nearest-neighbour search over unit vectors held in one row-major `Float32Array`: the
 * local index's in-memory copy of its SQLite rows. Search is a dot product with every row and a
 * running top-k; a query with few non-zero values (the hash embedder's questions use a few dozen
 * of 1536) only reads those columns, which makes it several times cheaper than a dense pass.
 */

const INITIAL_ROWS = 64;
/**
 * Below this share of non-zero values a query takes the sparse path. Measured at 10,000 × 1024:
 * the sparse scan costs as much as the dense one at ~3/8 non-zero; hash questions are under 1/20.
 */
const SPARSE_QUERY_SHARE = 0.3;

/** An in-memory matrix of vectors with ids and metadata, searchable by cosine similarity. */
export class VectorMatrix {
  private data: Float32Array;
  private ids: string[] = [];
  private metadata: VectorMetadata[] = [];
  private readonly rowOf = new Map<string, number>();

  constructor(readonly dimensions: number) {
    this.data = new Float32Array(INITIAL_ROWS * dimensions);
  }

  /** Vectors held. */
  get size(): number {
    return this.ids.length;
  }

  /** Inserts or replaces `id`'s vector (unit length, `dimensions` long) and metadata. */
  set(id: string, vector: Float32Array, metadata: VectorMetadata): void {
    if (vector.length !== this.dimensions) throw new RangeError(`expected ${this.dimensions} dimensions, got ${vector.length}`);
    let row = this.rowOf.get(id);
    if (row === undefined) {
      row = this.ids.length;
      this.ensureCapacity(row + 1);
      this.ids.push(id);
      this.metadata.push(metadata);
      this.rowOf.set(id, row);
    } else {
      this.metadata[row] = metadata;
    }
    this.data.set(vector, row * this.dimensions);
  }

  /** Removes `id`; the last row moves into its place. False when it was not there. */
  delete(id: string): boolean {
    const row = this.rowOf.get(id);
    if (row === undefined) return false;
    const last = this.ids.length - 1;
    if (row !== last) {
      const d = this.dimensions;
      this.data.copyWithin(row * d, last * d, last * d + d);
      const movedId = this.ids[last] as string;
      this.ids[row] = movedId;
      this.metadata[row] = this.metadata[last] as VectorMetadata;
      this.rowOf.set(movedId, row);
    }
    this.ids.pop();
    this.metadata.pop();
    this.rowOf.delete(id);
    return true;
  }

  /** The `topK` rows with the highest dot product with `query`, best first (equal scores by id). */
  search(query: Float32Array, topK: number): VectorMatch[] {
    if (query.length !== this.dimensions) throw new RangeError(`expected ${this.dimensions} dimensions, got ${query.length}`);
    const k = Math.min(topK, this.size);
    if (k <= 0) return [];
    const top = new TopK(k);
    const nonZero: number[] = [];
    for (let i = 0; i < query.length; i++) if (query[i] !== 0) nonZero.push(i);
    if (nonZero.length < this.dimensions * SPARSE_QUERY_SHARE) this.scanSparse(query, Int32Array.from(nonZero), top);
    else this.scanDense(query, top);
    return top
      .sorted()
      .map(({ row, score }) => ({ id: this.ids[row] as string, score, metadata: { ...(this.metadata[row] as VectorMetadata) } }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private scanDense(query: Float32Array, top: TopK): void {
    const { data, dimensions: d } = this;
    const n = this.size;
    const unrolled = d - (d % 8);
    for (let r = 0; r < n; r++) {
      // A row view and eight accumulators: fewer index computations and no single add chain,
      // ~1.3x faster than the plain loop in V8 (there is no SIMD for plain JavaScript).
      const row = data.subarray(r * d, r * d + d);
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let s4 = 0;
      let s5 = 0;
      let s6 = 0;
      let s7 = 0;
      let i = 0;
      for (; i < unrolled; i += 8) {
        s0 += (query[i] as number) * (row[i] as number);
        s1 += (query[i + 1] as number) * (row[i + 1] as number);
        s2 += (query[i + 2] as number) * (row[i + 2] as number);
        s3 += (query[i + 3] as number) * (row[i + 3] as number);
        s4 += (query[i + 4] as number) * (row[i + 4] as number);
        s5 += (query[i + 5] as number) * (row[i + 5] as number);
        s6 += (query[i + 6] as number) * (row[i + 6] as number);
        s7 += (query[i + 7] as number) * (row[i + 7] as number);
      }
      for (; i < d; i++) s0 += (query[i] as number) * (row[i] as number);
      top.offer(r, s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7);
    }
  }

  private scanSparse(query: Float32Array, columns: Int32Array, top: TopK): void {
    const { data, dimensions: d } = this;
    const n = this.size;
    const weights = Float32Array.from(columns, (c) => query[c] as number);
    const m = columns.length;
    for (let row = 0, offset = 0; row < n; row++, offset += d) {
      let s = 0;
      for (let j = 0; j < m; j++) s += (weights[j] as number) * (data[offset + (columns[j] as number)] as number);
      top.offer(row, s);
    }
  }

  private ensureCapacity(rows: number): void {
    const needed = rows * this.dimensions;
    if (needed <= this.data.length) return;
    const grown = new Float32Array(Math.max(needed, this.data.length * 2));
    grown.set(this.data.subarray(0, this.ids.length * this.dimensions));
    this.data = grown;
  }
}

/** A running top-k of (row, score): a small array kept sorted, cheap for k ≤ 20. */
class TopK {
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(private readonly k: number) {
    this.rows = new Int32Array(k);
    this.scores = new Float64Array(k);
  }

  offer(row: number, score: number): void {
    const { k, rows, scores } = this;
    if (this.count === k && score <= (scores[k - 1] as number)) return;
    let i = this.count < k ? this.count++ : k - 1;
    while (i > 0 && (scores[i - 1] as number) < score) {
      scores[i] = scores[i - 1] as number;
      rows[i] = rows[i - 1] as number;
      i--;
    }
    scores[i] = score;
    rows[i] = row;
  }

  sorted(): { row: number; score: number }[] {
    return Array.from({ length: this.count }, (_, i) => ({ row: this.rows[i] as number, score: this.scores[i] as number }));
  }
}
