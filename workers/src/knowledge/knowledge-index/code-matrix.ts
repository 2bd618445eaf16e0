import { encodeInt4, int4QueryLookups, int4RowBytes, type Int4Lookups } from "./quantize";

/**
 * The knowledge index's in-memory copy of its vectors for the candidate pass: one int4 row per
 * chunk (see quantize.ts), keyed by the chunk's SQLite row id. It only proposes candidates; the
 * index re-scores them exactly from the int8 vectors in SQLite. Rows live in fixed-size blocks so
 * growing never copies the matrix.
 *
 * A block is stored column by column (byte `j` of row `r` at `j × BLOCK_ROWS + r`): a query reads
 * only the byte positions where it is not zero (quantize.ts), and each one is then a single run
 * of contiguous bytes instead of one byte in every row's cache line. A hash-embedder question
 * reads ~70 of 768 byte positions, so the scan touches a tenth of the matrix's memory.
 */

/** Rows per block: 768 KB at 1,536 dimensions, so little is allocated and unused; the block's scores (8 KB) stay in L1. */
const BLOCK_ROWS = 1024;
/** 32-bit words in one column of a block: the scan reads four rows' bytes at once. */
const WORDS_PER_COLUMN = BLOCK_ROWS / 4;

/** One candidate: the chunk's row id and its approximate cosine. */
export interface Candidate {
  seq: number;
  score: number;
}

/** int4 codes of many vectors, searchable by approximate cosine. */
export class CodeMatrix {
  private readonly blocks: Uint8Array[] = [];
  /** The same blocks as 32-bit words, for the scan. */
  private readonly blockWords: Uint32Array[] = [];
  private readonly weights: number[] = [];
  private readonly seqs: number[] = [];
  private readonly rowOf = new Map<number, number>();
  /** One row's bytes, encoded before they are spread over the block's columns. */
  private readonly rowCodes: Uint8Array;
  /** One block's raw scores (Σ query·int4, before the row weights), reused from block to block. */
  private readonly blockScores = new Float64Array(BLOCK_ROWS);
  readonly rowBytes: number;

  constructor(readonly dimensions: number) {
    this.rowBytes = int4RowBytes(dimensions);
    this.rowCodes = new Uint8Array(this.rowBytes);
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
      if (row % BLOCK_ROWS === 0) {
        const block = new Uint8Array(BLOCK_ROWS * this.rowBytes);
        this.blocks.push(block);
        this.blockWords.push(new Uint32Array(block.buffer));
      }
      this.seqs.push(seq);
      this.weights.push(0);
      this.rowOf.set(seq, row);
    }
    this.weights[row] = encodeInt4(codes, this.rowCodes);
    const block = this.blocks[Math.floor(row / BLOCK_ROWS)] as Uint8Array;
    const r = row % BLOCK_ROWS;
    for (let j = 0; j < this.rowBytes; j++) block[j * BLOCK_ROWS + r] = this.rowCodes[j] as number;
  }

  /** Removes chunk `seq`'s row; the last row moves into its place. False when it was not there. */
  delete(seq: number): boolean {
    const row = this.rowOf.get(seq);
    if (row === undefined) return false;
    const last = this.seqs.length - 1;
    if (row !== last) {
      const to = this.blocks[Math.floor(row / BLOCK_ROWS)] as Uint8Array;
      const from = this.blocks[Math.floor(last / BLOCK_ROWS)] as Uint8Array;
      const r = row % BLOCK_ROWS;
      const l = last % BLOCK_ROWS;
      for (let j = 0; j < this.rowBytes; j++) to[j * BLOCK_ROWS + r] = from[j * BLOCK_ROWS + l] as number;
      const moved = this.seqs[last] as number;
      this.seqs[row] = moved;
      this.weights[row] = this.weights[last] as number;
      this.rowOf.set(moved, row);
    }
    this.seqs.pop();
    this.weights.pop();
    this.rowOf.delete(seq);
    if (last % BLOCK_ROWS === 0) {
      // the last block just emptied
      this.blocks.pop();
      this.blockWords.pop();
    }
    return true;
  }

  /** The `count` rows with the highest approximate cosine with `query` (unit length), best first. */
  candidates(query: ArrayLike<number>, count: number): Candidate[] {
    if (query.length !== this.dimensions) throw new RangeError(`expected ${this.dimensions} dimensions, got ${query.length}`);
    const n = Math.min(count, this.size);
    if (n <= 0) return [];
    const lookups = int4QueryLookups(query, this.dimensions);
    const heap = new MinHeap(n);
    const scores = this.blockScores;
    for (let b = 0; b < this.blocks.length; b++) {
      const first = b * BLOCK_ROWS;
      const rows = Math.min(BLOCK_ROWS, this.size - first);
      scoreBlock(this.blockWords[b] as Uint32Array, rows, lookups, scores);
      for (let r = 0; r < rows; r++) heap.offer(first + r, (scores[r] as number) * (this.weights[first + r] as number));
    }
    return heap.drain().map(({ row, score }) => ({ seq: this.seqs[row] as number, score }));
  }
}

/** The low nibble of each byte of a word, and the high one. */
const LOW_NIBBLES = 0x0f0f0f0f;
const HIGH_NIBBLES = 0xf0f0f0f0;

/**
 * Writes into `scores` the Σ of the query's lookups (quantize.ts) for the block's first `rows`
 * rows, up to the next multiple of 4. Each column is read four rows at a time as one 32-bit word
 * (little-endian, as every Workers host is: the first row in the low byte), the looked-up bytes
 * of four rows are put together from two such words with one mask each, and four lookups a pass
 * share each score's load and store.
 */
function scoreBlock(block: Uint32Array, rows: number, lookups: Int4Lookups, scores: Float64Array): void {
  const { tables } = lookups;
  const words = (rows + 3) >> 2;
  scores.fill(0, 0, words * 4);
  const m = tables.length >> 8;
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const [l0, ls0, h0, hs0] = columns(lookups, k);
    const [l1, ls1, h1, hs1] = columns(lookups, k + 1);
    const [l2, ls2, h2, hs2] = columns(lookups, k + 2);
    const [l3, ls3, h3, hs3] = columns(lookups, k + 3);
    const t0 = k << 8;
    const t1 = t0 + 256;
    const t2 = t0 + 512;
    const t3 = t0 + 768;
    for (let w = 0, r = 0; w < words; w++, r += 4) {
      const x0 = (((block[l0 + w] as number) >>> ls0) & LOW_NIBBLES) | (((block[h0 + w] as number) << hs0) & HIGH_NIBBLES);
      const x1 = (((block[l1 + w] as number) >>> ls1) & LOW_NIBBLES) | (((block[h1 + w] as number) << hs1) & HIGH_NIBBLES);
      const x2 = (((block[l2 + w] as number) >>> ls2) & LOW_NIBBLES) | (((block[h2 + w] as number) << hs2) & HIGH_NIBBLES);
      const x3 = (((block[l3 + w] as number) >>> ls3) & LOW_NIBBLES) | (((block[h3 + w] as number) << hs3) & HIGH_NIBBLES);
      scores[r] = (scores[r] as number) + (tables[t0 + (x0 & 255)] as number) + (tables[t1 + (x1 & 255)] as number) + (tables[t2 + (x2 & 255)] as number) + (tables[t3 + (x3 & 255)] as number);
      scores[r + 1] = (scores[r + 1] as number) + (tables[t0 + ((x0 >>> 8) & 255)] as number) + (tables[t1 + ((x1 >>> 8) & 255)] as number) + (tables[t2 + ((x2 >>> 8) & 255)] as number) + (tables[t3 + ((x3 >>> 8) & 255)] as number);
      scores[r + 2] = (scores[r + 2] as number) + (tables[t0 + ((x0 >>> 16) & 255)] as number) + (tables[t1 + ((x1 >>> 16) & 255)] as number) + (tables[t2 + ((x2 >>> 16) & 255)] as number) + (tables[t3 + ((x3 >>> 16) & 255)] as number);
      scores[r + 3] = (scores[r + 3] as number) + (tables[t0 + (x0 >>> 24)] as number) + (tables[t1 + (x1 >>> 24)] as number) + (tables[t2 + (x2 >>> 24)] as number) + (tables[t3 + (x3 >>> 24)] as number);
    }
  }
  for (; k < m; k++) {
    const [l, ls, h, hs] = columns(lookups, k);
    const t = k << 8;
    for (let w = 0, r = 0; w < words; w++, r += 4) {
      const x = (((block[l + w] as number) >>> ls) & LOW_NIBBLES) | (((block[h + w] as number) << hs) & HIGH_NIBBLES);
      scores[r] = (scores[r] as number) + (tables[t + (x & 255)] as number);
      scores[r + 1] = (scores[r + 1] as number) + (tables[t + ((x >>> 8) & 255)] as number);
      scores[r + 2] = (scores[r + 2] as number) + (tables[t + ((x >>> 16) & 255)] as number);
      scores[r + 3] = (scores[r + 3] as number) + (tables[t + (x >>> 24)] as number);
    }
  }
}

/** Lookup `k`'s first word in a block of its low and high nibbles' columns, and their shifts. */
function columns(lookups: Int4Lookups, k: number): [low: number, lowShift: number, high: number, highShift: number] {
  return [
    (lookups.lowByte[k] as number) * WORDS_PER_COLUMN,
    lookups.lowShift[k] as number,
    (lookups.highByte[k] as number) * WORDS_PER_COLUMN,
    lookups.highShift[k] as number,
  ];
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
