/**
 * The keyword leg's row budget (`keywordRowBudget` in retrieval/pipeline.ts) in a large index,
 * run with Node on the product's own code (the Workers runtime freezes timers during CPU work,
 * so it cannot time itself):
 *
 *   npx tsx bench/keyword-budget.ts                  100,000 chunks
 *   CHUNKS=10000 npx tsx bench/keyword-budget.ts
 *
 * Builds a knowledge index's SQLite (the object's schema and `insertChunk`, FTS5 with its
 * tokenizer, in node:sqlite) from the knowledge bench's seeded generator: documents of 10 chunks
 * of ~250 Zipf words whose 86 most frequent are English function words. Then asks the same
 * questions (4–8 consecutive words of a random chunk, as the knowledge bench asks them) through
 * `retrieve` in keyword mode, k = 5, once with the product's budget and once without one (every
 * ranking exact), each with its own cold term counts after a warm-up, and prints p50, p99 and
 * mean, the questions that found nothing, and how far the budgeted answers are from the exact
 * ones: the share of the exact top 5 documents they hold, and of questions whose first document
 * is the same.
 */
import { DatabaseSync } from "node:sqlite";
import { insertChunk } from "../workers/src/knowledge/knowledge-index/chunk-rows";
import { INDEX_MIGRATIONS } from "../workers/src/knowledge/knowledge-index/schema";
import { SqliteRetrievalBackend } from "../workers/src/knowledge/knowledge-index/sqlite-backend";
import { TermCounts } from "../workers/src/knowledge/knowledge-index/term-counts";
import type { ScoredChunk } from "../workers/src/knowledge/retrieval/backend";
import { RETRIEVAL_DEFAULTS, retrieve, type RetrievalOptions } from "../workers/src/knowledge/retrieval/pipeline";
import { TextGenerator } from "./knowledge.mjs";

const CHUNKS = Number(process.env.CHUNKS ?? 100_000);
/** Questions timed per variant, after `WARM_UP` untimed ones: as many as the knowledge bench asks. */
const QUERIES = Number(process.env.QUERIES ?? 500);
const WARM_UP = 30;
/** A document's chunks share its title, as the chunker's do. */
const CHUNKS_PER_DOCUMENT = 10;
/** About a 512-token chunk of the knowledge bench's 2,200-word documents. */
const CHUNK_WORDS = 250;
/** The knowledge bench's seed: the same vocabulary and frequencies. */
const SEED = 20261126;

/** `SqlStorage` over node:sqlite: what the index's code calls (`exec` with `toArray`, `one`, `raw` and iteration). */
function sqlStorage(db: DatabaseSync): SqlStorage {
  return {
    exec(query: string, ...params: unknown[]) {
      const rows = db.prepare(query).all(...(params as never[])) as Record<string, unknown>[];
      for (const row of rows) {
        for (const [k, v] of Object.entries(row)) if (v instanceof Uint8Array) row[k] = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
      }
      return {
        toArray: () => rows,
        one: () => {
          if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
          return rows[0];
        },
        raw: () => rows.map((r) => Object.values(r))[Symbol.iterator](),
        [Symbol.iterator]: () => rows[Symbol.iterator](),
      };
    },
  } as unknown as SqlStorage;
}

function build(): { sql: SqlStorage; texts: string[]; seconds: number } {
  const t0 = performance.now();
  const db = new DatabaseSync(":memory:");
  for (const statement of INDEX_MIGRATIONS.flat()) db.exec(statement);
  const sql = sqlStorage(db);
  const gen = new TextGenerator(SEED);
  const texts: string[] = [];
  db.exec("BEGIN");
  for (let d = 0; d * CHUNKS_PER_DOCUMENT < CHUNKS; d++) {
    const title = `Guide ${d + 1}: ${gen.title()}`;
    for (let c = 0; c < CHUNKS_PER_DOCUMENT && d * CHUNKS_PER_DOCUMENT + c < CHUNKS; c++) {
      const content = gen.text(CHUNK_WORDS);
      insertChunk(sql, `c${d}-${c}`, `d${d}`, c, title, null, content, `h${d}-${c}`, CHUNK_WORDS, null);
      if (c === 0) texts.push(content);
    }
  }
  db.exec("COMMIT");
  return { sql, texts, seconds: (performance.now() - t0) / 1000 };
}

async function run(sql: SqlStorage, queries: string[], options: RetrievalOptions) {
  const backend = new SqliteRetrievalBackend(sql, async () => [], new TermCounts());
  const ms: number[] = [];
  const answers: ScoredChunk[][] = [];
  for (const [i, query] of queries.entries()) {
    const t = performance.now();
    const hits = await retrieve(backend, { query, mode: "keyword", k: 5, queryVector: null }, { options });
    if (i < WARM_UP) continue;
    ms.push(performance.now() - t);
    answers.push(hits);
  }
  return { ms, answers };
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
  return { p50: at(50), p99: at(99), mean: ms.reduce((s, x) => s + x, 0) / Math.max(1, ms.length) };
}

const { sql, texts, seconds } = build();
console.log(`${CHUNKS.toLocaleString("en-US")} chunks indexed in ${seconds.toFixed(1)} s`);
const gen = new TextGenerator(SEED + 1);
const queries = Array.from({ length: WARM_UP + QUERIES }, () => gen.queryFrom(texts[gen.int(0, texts.length - 1)] ?? ""));
const budgeted = await run(sql, queries, RETRIEVAL_DEFAULTS);
const exact = await run(sql, queries, { ...RETRIEVAL_DEFAULTS, keywordRowBudget: Infinity });

let held = 0;
let wanted = 0;
let sameFirst = 0;
exact.answers.forEach((reference, i) => {
  const got = new Set((budgeted.answers[i] ?? []).map((h) => h.documentId));
  const documents = [...new Set(reference.map((h) => h.documentId))];
  wanted += documents.length;
  held += documents.filter((id) => got.has(id)).length;
  if (documents[0] === budgeted.answers[i]?.[0]?.documentId) sameFirst++;
});
const row = (label: string, r: { ms: number[]; answers: ScoredChunk[][] }) => {
  const s = stats(r.ms);
  const empty = r.answers.filter((a) => a.length === 0).length;
  return `| ${label} | ${r.ms.length} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.mean.toFixed(2)} | ${empty} |`;
};
console.log("");
console.log(`| keyword search, ${CHUNKS.toLocaleString("en-US")} chunks | queries | p50 ms | p99 ms | mean ms | without hits |`);
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
console.log(row(`budget ${RETRIEVAL_DEFAULTS.keywordRowBudget.toLocaleString("en-US")} rows (the product)`, budgeted));
console.log(row("no budget (exact)", exact));
console.log("");
console.log(`Budgeted against exact: ${((100 * held) / Math.max(1, wanted)).toFixed(1)} % of the exact top-5 documents held, same first document for ${((100 * sameFirst) / Math.max(1, exact.answers.length)).toFixed(1)} % of the questions.`);
