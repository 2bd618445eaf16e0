/**
 * The knowledge index's int4 candidate pass alone (`CodeMatrix.candidates`), run with Node (same
 * V8 as workerd; the Workers runtime freezes timers during CPU work, so it cannot time itself):
 *
 *   npx tsx bench/code-matrix.ts            100,000 rows
 *   ROWS=10000 npx tsx bench/code-matrix.ts
 *
 * Fills a matrix with the `HashEmbedder` vectors of synthetic chunks (words drawn from a Zipf
 * vocabulary, as the index holds them: int8, then int4), then times the 40 candidates the vector
 * leg asks for with a limit of 10, for short hash-embedded questions (sparse: only the bytes
 * where the question is not zero are read) and for dense random unit queries (every byte read).
 * Prints p50, p99 and mean in milliseconds, and a checksum of every query's candidates (the rows,
 * in order; not the scores, whose last float bits may change with the order of additions) so that
 * a change of speed can be checked for a change of output.
 */
import { createHash } from "node:crypto";
import { HashEmbedder } from "../workers/src/knowledge/embeddings/hash-embedder";
import { normalizeInPlace } from "../workers/src/knowledge/embeddings/vector-math";
import { CodeMatrix } from "../workers/src/knowledge/knowledge-index/code-matrix";
import { quantizeInt8 } from "../workers/src/knowledge/knowledge-index/quantize";
import { seededRandom } from "../workers/src/lib/seeded-random";

const ROWS = Number(process.env.ROWS ?? 100_000);
const QUERIES = Number(process.env.QUERIES ?? 300);
/** What `localVectorLeg` asks the matrix for with a limit of 10 (its MIN_RESCORE). */
const CANDIDATES = 40;
/** Distinct words of the synthetic corpus, drawn with Zipf frequencies. */
const VOCABULARY = 20_000;
/** Words a chunk: about what the chunker cuts a page into. */
const CHUNK_WORDS = 180;
const WARM_UP = 30;


const next = seededRandom(42);
const syllables = "ka lo mi ne ru sa ti vo pe da fu go hi ja ze bo ly wa qu xe".split(" ");
const vocabulary = Array.from({ length: VOCABULARY }, () =>
  Array.from({ length: 2 + Math.floor(next() * 3) }, () => syllables[Math.floor(next() * syllables.length)]).join(""),
);
// Zipf (s = 1) by inverse transform over the cumulative weights.
const cumulative = new Float64Array(VOCABULARY);
for (let i = 0, sum = 0; i < VOCABULARY; i++) cumulative[i] = sum += 1 / (i + 1);
const total = cumulative[VOCABULARY - 1] as number;
function word(): string {
  const u = next() * total;
  let lo = 0;
  let hi = VOCABULARY - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cumulative[mid] as number) < u) lo = mid + 1;
    else hi = mid;
  }
  return vocabulary[lo] as string;
}
const text = (words: number) => Array.from({ length: words }, word).join(" ");

const hash = new HashEmbedder();
const matrix = new CodeMatrix(hash.dimensions);
let started = performance.now();
const codes = Array.from({ length: ROWS }, () => quantizeInt8(hash.embedOne(text(CHUNK_WORDS)))?.codes ?? new Int8Array(hash.dimensions));
const embedMs = performance.now() - started;
started = performance.now();
codes.forEach((c, seq) => matrix.set(seq, c));
const fillMs = performance.now() - started;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function time(label: string, queries: Float32Array[]): void {
  for (const q of queries.slice(0, WARM_UP)) matrix.candidates(q, CANDIDATES);
  const digest = createHash("sha256");
  const samples = queries.map((q) => {
    const start = performance.now();
    const found = matrix.candidates(q, CANDIDATES);
    const ms = performance.now() - start;
    digest.update(found.map((c) => c.seq).join(",") + ";");
    return ms;
  });
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  samples.sort((a, b) => a - b);
  const activeBytes = queries.reduce((s, q) => s + q.filter((_, i) => i % 2 === 0 && (q[i] !== 0 || q[i + 1] !== 0)).length, 0) / queries.length;
  console.log(
    `${label.padEnd(16)} ${String(queries.length).padStart(4)} queries, ~${activeBytes.toFixed(0).padStart(3)} of ${matrix.rowBytes} bytes read: ` +
      `p50 ${percentile(samples, 0.5).toFixed(2)} p99 ${percentile(samples, 0.99).toFixed(2)} mean ${mean.toFixed(2)} ms | ` +
      `checksum ${digest.digest("hex").slice(0, 12)}`,
  );
}

console.log(`CodeMatrix.candidates(query, ${CANDIDATES}), ${matrix.size.toLocaleString("en")} rows × ${hash.dimensions} dims, node ${process.version}`);
console.log(`embed ${(embedMs / 1000).toFixed(1)} s, fill ${fillMs.toFixed(0)} ms, ${(matrix.bytes / 2 ** 20).toFixed(1)} MiB of codes`);
time("hash question", Array.from({ length: QUERIES }, () => hash.embedOne(text(4 + Math.floor(next() * 5)))));
time("dense", Array.from({ length: QUERIES }, () => normalizeInPlace(Float32Array.from({ length: hash.dimensions }, () => next() * 2 - 1))));
