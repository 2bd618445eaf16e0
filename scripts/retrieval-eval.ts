/**
 * Offline retrieval check for embedders, run with Node:
 *
 *   npx tsx scripts/retrieval-eval.ts [path/to/stackfaq.json] [dims,...]
 *
 * Embeds every document's title and content with the hash embedder at each dimension, embeds
 * each query, ranks the documents by cosine similarity and prints hit@1, hit@5 and MRR of the
 * labelled document. For context it also prints a plain BM25 (the evaluation set's reference
 * configuration) and each ranking fused with it by reciprocal rank fusion (k = 60): how much the
 * vectors add to keyword search, which is what hybrid retrieval gets from them. The product's
 * own fusion and keyword index live elsewhere; this only compares embedders.
 */
import { readFileSync } from "node:fs";
import type { Embedder } from "../workers/src/knowledge/embeddings/embedder";
import { HashEmbedder } from "../workers/src/knowledge/embeddings/hash-embedder";
import { dot } from "../workers/src/knowledge/embeddings/vector-math";

interface EvalSet {
  documents: { id: string; title: string; content: string }[];
  queries: { query: string; relevant: string[] }[];
}

/** Document ids, best first, for each query of the set. */
type Rankings = string[][];

const RRF_K = 60; // the usual constant of reciprocal rank fusion
const BM25_K1 = 1.2;
const BM25_B = 0.75;

/** Each query's documents ranked by cosine similarity of `embedder`'s vectors. */
export async function rankByEmbedder(embedder: Embedder, set: EvalSet): Promise<Rankings> {
  const docVectors = await embedder.embed(set.documents.map((d) => `${d.title}\n\n${d.content}`));
  const queryVectors = await embedder.embed(set.queries.map((q) => q.query));
  return queryVectors.map((qv) =>
    set.documents
      .map((d, i) => ({ id: d.id, score: dot(qv, docVectors[i] ?? new Float32Array(qv.length)) }))
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .map((r) => r.id),
  );
}

/** Plain BM25 over title and content: lower-cased alphanumeric tokens, no stemming. */
export function rankByBm25(set: EvalSet): Rankings {
  const tokenize = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  const docs = set.documents.map((d) => tokenize(`${d.title}\n\n${d.content}`));
  const avgLength = docs.reduce((sum, t) => sum + t.length, 0) / docs.length;
  const df = new Map<string, number>();
  for (const tokens of docs) for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);
  const tfs = docs.map((tokens) => {
    const tf = new Map<string, number>();
    for (const t of tokens) tf.set(t, (tf.get(t) ?? 0) + 1);
    return tf;
  });
  return set.queries.map((q) => {
    const terms = [...new Set(tokenize(q.query))];
    return set.documents
      .map((d, i) => {
        let score = 0;
        for (const t of terms) {
          const f = tfs[i]?.get(t) ?? 0;
          if (f === 0) continue;
          const n = df.get(t) ?? 0;
          const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
          score += (idf * f * (BM25_K1 + 1)) / (f + BM25_K1 * (1 - BM25_B + (BM25_B * (docs[i]?.length ?? 0)) / avgLength));
        }
        return { id: d.id, score };
      })
      .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id))
      .map((r) => r.id);
  });
}

/** Reciprocal rank fusion of several rankings of the same queries. */
export function fuse(...lists: Rankings[]): Rankings {
  return (lists[0] ?? []).map((_, qi) => {
    const scores = new Map<string, number>();
    for (const list of lists) list[qi]?.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + rank + 1)));
    return [...scores.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([id]) => id);
  });
}

/** hit@1, hit@5 and MRR of the labelled documents, formatted for a table row. */
export function scores(rankings: Rankings, set: EvalSet): string {
  let hit1 = 0;
  let hit5 = 0;
  let reciprocal = 0;
  rankings.forEach((ranked, qi) => {
    const relevant = set.queries[qi]?.relevant ?? [];
    const rank = ranked.findIndex((id) => relevant.includes(id)) + 1;
    if (rank === 1) hit1++;
    if (rank >= 1 && rank <= 5) hit5++;
    if (rank >= 1) reciprocal += 1 / rank;
  });
  const n = rankings.length;
  return `hit@1 ${(hit1 / n).toFixed(3)}  hit@5 ${(hit5 / n).toFixed(3)}  MRR ${(reciprocal / n).toFixed(3)}`;
}

async function main(): Promise<void> {
  const path = process.argv[2] ?? "/work/shared/eval/stackfaq.json";
  const dims = (process.argv[3] ?? "768,1024,1536").split(",").map(Number);
  const set = JSON.parse(readFileSync(path, "utf8")) as EvalSet;
  console.log(`${set.documents.length} documents, ${set.queries.length} queries`);
  const bm25 = rankByBm25(set);
  console.log(`${"bm25".padEnd(16)} ${scores(bm25, set)}`);
  for (const d of dims) {
    const embedder = new HashEmbedder(d);
    const started = performance.now();
    const vectors = await rankByEmbedder(embedder, set);
    const ms = performance.now() - started;
    console.log(`${embedder.name.padEnd(16)} ${scores(vectors, set)}   fused with bm25: ${scores(fuse(bm25, vectors), set)}   (${ms.toFixed(0)} ms)`);
  }
}

await main();
