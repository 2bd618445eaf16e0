/**
 * Search latency of the local index's in-memory matrix, run with Node (same V8 as workerd; the
 * Workers runtime freezes timers during CPU work, so it cannot time itself):
 *
 *   npx tsx bench/search-latency.ts
 *
 * For 1,000 and 10,000 stored vectors at 768, 1024 and 1536 dimensions, times top-10 searches
 * with dense queries (OpenAI, bge) and with hash-embedder questions (sparse), and the rebuild of
 * the matrix from float32 rows as after an eviction. Prints p50 and p99 in milliseconds.
 */
import { HashEmbedder } from "../workers/src/knowledge/embeddings/hash-embedder";
import { normalizeInPlace } from "../workers/src/knowledge/embeddings/vector-math";
import { VectorMatrix } from "../workers/src/knowledge/vector-store/vector-matrix";
import { seededRandom } from "../workers/src/lib/seeded-random";

const QUERIES = 300;
const TOP_K = 10;
const QUESTIONS = [
  "How do I get a refund for my order?",
  "Where can I change my shipping address",
  "reset password link not working",
  "Do you ship to Canada and how long does it take?",
  "cancel my subscription before renewal",
];


function randomUnit(next: () => number, dims: number): Float32Array {
  return normalizeInPlace(Float32Array.from({ length: dims }, () => next() * 2 - 1));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function time(queries: Float32Array[], matrix: VectorMatrix): { p50: number; p99: number } {
  for (const q of queries.slice(0, 20)) matrix.search(q, TOP_K); // warm the JIT
  const samples = queries.map((q) => {
    const start = performance.now();
    matrix.search(q, TOP_K);
    return performance.now() - start;
  });
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

const metadata = { document_id: "doc", chunk_id: "chk", workspace_id: "ws" };
for (const dims of [768, 1024, 1536]) {
  for (const size of [1_000, 10_000]) {
    const next = seededRandom(dims * size);
    const rows = Array.from({ length: size }, () => randomUnit(next, dims));
    const blobs = rows.map((r) => r.buffer.slice(0));
    const buildStart = performance.now();
    const matrix = new VectorMatrix(dims);
    blobs.forEach((blob, i) => matrix.set(`chk_${i}`, new Float32Array(blob), metadata));
    const buildMs = performance.now() - buildStart;

    const dense = time(Array.from({ length: QUERIES }, () => randomUnit(next, dims)), matrix);
    const hash = new HashEmbedder(dims);
    const sparse = time(Array.from({ length: QUERIES }, (_, i) => hash.embedOne(QUESTIONS[i % QUESTIONS.length] ?? "")), matrix);
    console.log(
      `${String(size).padStart(6)} × ${dims}: dense p50 ${dense.p50.toFixed(2)} p99 ${dense.p99.toFixed(2)} ms | ` +
        `hash question p50 ${sparse.p50.toFixed(2)} p99 ${sparse.p99.toFixed(2)} ms | rebuild ${buildMs.toFixed(0)} ms`,
    );
  }
}
