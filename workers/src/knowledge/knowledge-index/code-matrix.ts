import { encodeInt4, int4QueryTables, int4RowBytes } from "./quantize";

/**
 * The knowledge index's in-memory copy of its vectors for the candidate pass: one int4 row per
 * chunk (see quantize.ts), keyed by the chunk's SQLite row id. It only proposes candidates; the
 * index re-scores them exactly from the int8 vectors in SQLite. Rows live in fixed-size blocks so
 * growing never copies the matrix.
 */

/** Rows per block: 768 KB at 1,536 dimensions, so little is allocated and unused. */
const BLOCK_ROWS = 1024;

/** One candidate: the chunk's row id and its approximate cosine. */
export interface Candidate {
  seq: number;
  score: number;
}

/** int4 codes of many vectors, searchable by approximate cosine. */
export class CodeMatrix {
  private readonly blocks: Uint8Array[] = [];
  private readonly weights: number[] = [];
  private readonly seqs: number[] = [];
  private readonly rowOf = new Map<number, number>();
  readonly rowBytes: number;

  constructor(readonly dimensions: number) {
    this.rowBytes = int4RowBytes(dimensions);
  }

  /** Rows held. */
  get size(): number {
    return this.seqs.length;
  }

  /** Bytes of code the matrix holds (blocks allocated), for capacity reporting. */
  get bytes(): number {
    return this.blocks.length * BLOCK_ROWS * this.rowBytes;
  }

  /** Inserts or replaces the row of chunk `seq` from its int8 codes. */
  set(seq: number, codes: Int8Array): void {
    if (codes.length !== this.dimensions) throw new RangeError(`expected ${this.dimensions} dimensions, got ${codes.length}`);
    let row = this.rowOf.get(seq);
    if (row === undefined) {
      row = this.seqs.length;
      if (row % BLOCK_ROWS === 0) this.blocks.push(new Uint8Array(BLOCK_ROWS * this.rowBytes));
      this.seqs.push(seq);
      this.weights.push(0);
      this.rowOf.set(seq, row);
    }
    this.weights[row] = encodeInt4(codes, this.rowView(row));
  }

  /** Removes chunk `seq`'s row; the last row moves into its place. False when it was not there. */
  delete(seq: number): boolean {
    const row = this.rowOf.get(seq);
    if (row === undefined) return false;
    const last = this.seqs.length - 1;
    if (row !== last) {
      this.rowView(row).set(this.rowView(last));
      const moved = this.seqs[last] as number;
      this.seqs[row] = moved;
      this.weights[row] = this.weights[last] as number;
      this.rowOf.set(moved, row);
    }
    this.seqs.pop();
    this.weights.pop();
    this.rowOf.delete(seq);
    if (last % BLOCK_ROWS === 0) this.blocks.pop(); // the last block just emptied
    return true;
  }

  /** The `count` rows with the highest approximate cosine with `query` (unit length), best first. */
  candidates(query: ArrayLike<number>, count: number): Candidate[] {
    if (query.length !== this.dimensions) throw new RangeError(`expected ${this.dimensions} dimensions, got ${query.length}`);
    const n = Math.min(count, this.size);
    if (n <= 0) return [];
    const { tables, active } = int4QueryTables(query, this.dimensions);
    const heap = new MinHeap(n);
    const m = active.length;
    this.blocks.forEach((block, b) => {
      const first = b * BLOCK_ROWS;
      const rows = Math.min(BLOCK_ROWS, this.size - first);
      for (let r = 0, offset = 0; r < rows; r++, offset += this.rowBytes) {
        let s = 0;
        for (let a = 0; a < m; a++) {
          const j = active[a] as number;
          s += tables[(j << 8) + (block[offset + j] as number)] as number;
        }
        heap.offer(first + r, s * (this.weights[first + r] as number));
      }
    });
    return heap.drain().map(({ row, score }) => ({ seq: this.seqs[row] as number, score }));
  }

  private rowView(row: number): Uint8Array {
    const block = this.blocks[Math.floor(row / BLOCK_ROWS)] as Uint8Array;
    const offset = (row % BLOCK_ROWS) * this.rowBytes;
    return block.subarray(offset, offset + this.rowBytes);
  }
}

/** A bounded min-heap of (row, score) keeping the `capacity` highest scores. */
class MinHeap {
  private readonly rows: Int32Array;
  private readonly scores: Float64Array;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.rows = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  offer(row: number, score: number): void {
    if (this.count < this.capacity) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((this.scores[parent] as number) <= score) break;
        this.scores[i] = this.scores[parent] as number;
        this.rows[i] = this.rows[parent] as number;
        i = parent;
      }
      this.scores[i] = score;
      this.rows[i] = row;
      return;
    }
    if (score <= (this.scores[0] as number)) return;
    this.siftDown(row, score);
  }

  /** Everything held, best first. */
  drain(): { row: number; score: number }[] {
    return Array.from({ length: this.count }, (_, i) => ({ row: this.rows[i] as number, score: this.scores[i] as number })).sort(
      (a, b) => b.score - a.score || a.row - b.row,
    );
  }

  private siftDown(row: number, score: number): void {
    const n = this.count;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (this.scores[right] as number) < (this.scores[left] as number) ? right : left;
      if ((this.scores[child] as number) >= score) break;
      this.scores[i] = this.scores[child] as number;
      this.rows[i] = this.rows[child] as number;
      i = child;
    }
    this.scores[i] = score;
    this.rows[i] = row;
  }
}
