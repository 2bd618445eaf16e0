#!/usr/bin/env node
/**
 * Fast, offline check of the retrieval strategy (`workers/src/knowledge/retrieval/pipeline.ts`)
 * on a labelled FAQ set, in seconds instead of the minutes `npm run eval` takes:
 *
 *   node_modules/.bin/node bench/retrieval-tune.mjs [set.json]
 *   node_modules/.bin/node bench/retrieval-tune.mjs --options '{"keywordShare":0.5}'
 *   node_modules/.bin/node bench/retrieval-tune.mjs --answer-stopwords   (queries cut by llm/terms.ts's list, as before)
 *   node_modules/.bin/node bench/retrieval-tune.mjs --embedder '{"charGramWeight":0}'   (hash embedder features)
 *   node_modules/.bin/node bench/retrieval-tune.mjs --grid 'keywordShare=0.4;0.5;0.6' --half tune   (values JSON, split by ;)
 *   node_modules/.bin/node bench/retrieval-tune.mjs --phrasings [--phrasing-legs keyword]   (learned phrasings, as `npm run eval -- --phrasings`)
 *
 * It indexes the set the way the product does (each document parsed as the Markdown a JSON
 * `{title, content}` upload becomes, split by the product's chunker, embedded by the product's
 * hash embedder from the title, heading and content) into an in-memory SQLite FTS5 table with the
 * production schema and tokenizer (`porter unicode61 remove_diacritics 2`, columns title,
 * heading, content) plus exact cosine kNN over the vectors, and runs the product's `retrieve()`
 * against it. Reports hit@1 / hit@5 / MRR per half of the set (split by FAQ, `evalHalves` in
 * bench/_lib.mjs) and per mode, next to a textbook BM25 over title + content on the same half.
 *
 * Two shapes of the set guard against fitting one: `faq` (as given) and `answers` (titles
 * removed from the index: only the answers' text can be matched).
 *
 * `--phrasings`: each FAQ's queries of the half alternate between taught and held out (as
 * `npm run eval -- --phrasings` splits them); the held-out ones are ranked without and with the
 * taught ones as learned phrasings of their FAQ (an FTS5 table with the product's tokenizer and
 * the hash vectors, behind the `PhrasingSource` seam). `--phrasing-legs keyword` leaves the
 * phrasings out of the vector leg. `--untaught-faqs` teaches only every other FAQ of the half
 * and also ranks all queries of the FAQs left without phrasings: what phrasings of other
 * documents cost them.
 */
import { DatabaseSync } from "node:sqlite";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { evalHalves, formatTable, queriesOfHalf, ROOT, scoreRanks, textbookBm25 } from "./_lib.mjs";

const DEFAULT_SET = "../shared/eval/stackfaq.json";
const TOP_K = 5;
const MODES = ["hybrid", "keyword", "vector"];
const SHAPES = ["faq", "answers"];

/** Bundles the product modules the harness runs (TypeScript) into one ES module and imports it. */
async function loadProduct() {
  const dir = mkdtempSync(join(tmpdir(), "retrieval-tune-"));
  const outfile = join(dir, "product.mjs");
  try {
    await build({
      stdin: {
        contents: [
          'export { parseDocument } from "./workers/src/knowledge/parsers/parse-document";',
          'export { chunkDocument } from "./workers/src/knowledge/chunker";',
          'export { HashEmbedder } from "./workers/src/knowledge/embeddings/hash-embedder";',
          'export { retrieve, RETRIEVAL_DEFAULTS } from "./workers/src/knowledge/retrieval/pipeline";',
          'export { words as stopwordFreeWords } from "./workers/src/llm/terms";',
          'export { tokens } from "./workers/src/knowledge/retrieval/tokens";',
          'export { phrasingEmbeddingText } from "./workers/src/knowledge/phrasing-vectors";',
        ].join("\n"),
        resolveDir: ROOT,
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      outfile,
      logLevel: "error",
    });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The text embedded for a chunk, as ingestion builds it (`embeddingText` in index-chunks.ts). */
function embeddingText(title, chunk) {
  return [title, chunk.heading, chunk.content].filter(Boolean).join("\n");
}

/** An in-memory index of the set in one shape, behind the `RetrievalBackend` seam. */
async function buildIndex(product, set, shape, embedderFeatures = {}) {
  const db = new DatabaseSync(":memory:");
  db.exec("create virtual table kb_chunks_fts using fts5(title, heading, content, tokenize='porter unicode61 remove_diacritics 2')");
  const insert = db.prepare("insert into kb_chunks_fts(rowid, title, heading, content) values (?, ?, ?, ?)");
  const embedder = new product.HashEmbedder(undefined, embedderFeatures);
  const chunks = []; // rowid - 1 -> chunk
  for (const doc of set.documents) {
    const title = shape === "answers" ? "" : doc.title;
    const parsed = await product.parseDocument(new TextEncoder().encode(doc.content), "content.md");
    for (const c of product.chunkDocument(parsed)) {
      const chunk = { chunkId: `c${chunks.length + 1}`, documentId: doc.id, title, heading: c.heading ?? "", content: c.content };
      chunk.vector = embedder.embedOne(embeddingText(title, c));
      chunks.push(chunk);
      insert.run(chunks.length, chunk.title, chunk.heading, chunk.content);
    }
  }
  const byId = new Map(chunks.map((c) => [c.chunkId, c]));
  const backend = {
    async keyword(match, weights, limit) {
      const rows = db
        .prepare(`select rowid, bm25(kb_chunks_fts, ${weights.map(Number).join(", ")}) as rank from kb_chunks_fts where kb_chunks_fts match ? order by rank limit ?`)
        .all(match, limit);
      return rows.map((r) => {
        const c = chunks[r.rowid - 1];
        return { chunkId: c.chunkId, documentId: c.documentId, score: -r.rank };
      });
    },
    async vector(q, limit) {
      const qv = Float32Array.from(q);
      return chunks
        .map((c) => {
          let s = 0;
          for (let i = 0; i < qv.length; i++) s += qv[i] * c.vector[i];
          return { chunkId: c.chunkId, documentId: c.documentId, score: s };
        })
        .sort((a, b) => b.score - a.score || (a.chunkId < b.chunkId ? -1 : 1))
        .slice(0, limit);
    },
    async texts(ids) {
      return ids.flatMap((id) => {
        const c = byId.get(id);
        return c ? [{ chunkId: c.chunkId, documentId: c.documentId, title: c.title, heading: c.heading, content: c.content }] : [];
      });
    },
    async stats() {
      return { chunks: chunks.length, documents: set.documents.length };
    },
    async termCounts(terms) {
      const count = db.prepare("select count(*) as n from kb_chunks_fts where kb_chunks_fts match ?");
      return { chunks: chunks.length, matching: terms.map((t) => count.get(`"${t.replace(/"/g, '""')}"`).n) };
    },
  };
  const bm25 = textbookBm25(set.documents.map((d) => ({ ...d, title: shape === "answers" ? "" : d.title })));
  return { db, backend, embedder, bm25, chunkCount: chunks.length, chunks };
}

/**
 * A backend over `index` whose learned phrasings are `taught` (each a phrasing of its first
 * labelled FAQ), as the knowledge index's `PhrasingSource` reads them; `legs` "keyword" keeps them
 * out of the vector leg.
 */
function withPhrasings(product, index, taught, legs) {
  const { db, backend, embedder, chunks } = index;
  db.exec("drop table if exists phrasings_fts; create virtual table phrasings_fts using fts5(text, tokenize='porter unicode61 remove_diacritics 2')");
  // Embedded as the product embeds them: with the document's first chunk (phrasing-vectors.ts).
  const headOf = (documentId) => chunks.find((c) => c.documentId === documentId);
  const phrasings = taught.map((q, i) => {
    const head = headOf(q.relevant[0]);
    return { phrasingId: `p${i + 1}`, documentId: q.relevant[0], text: q.query, vector: embedder.embedOne(product.phrasingEmbeddingText(q.query, head.title, head)) };
  });
  const insert = db.prepare("insert into phrasings_fts(rowid, text) values (?, ?)");
  phrasings.forEach((p, i) => insert.run(i + 1, p.text));
  const cosine = (q, v) => q.reduce((s, x, i) => s + x * v[i], 0);
  const phrasingSource = {
    async count() {
      return phrasings.length;
    },
    async matching(terms, limit) {
      const found = new Map();
      const query = db.prepare("select rowid, highlight(phrasings_fts, 0, char(1), char(2)) as marked from phrasings_fts where phrasings_fts match ? order by rank limit ?");
      terms.forEach((term, t) => {
        for (const r of query.all(`"${term.replace(/"/g, '""')}"`, limit)) {
          const p = phrasings[r.rowid - 1];
          if (!found.has(p.phrasingId)) found.set(p.phrasingId, { phrasingId: p.phrasingId, documentId: p.documentId, length: product.tokens(p.text).length, frequencies: terms.map(() => 0) });
          found.get(p.phrasingId).frequencies[t] = r.marked.split("\u0001").length - 1;
        }
      });
      return [...found.values()];
    },
    async nearest(q, limit) {
      if (legs === "keyword") return [];
      return phrasings
        .map((p) => ({ phrasingId: p.phrasingId, documentId: p.documentId, score: cosine(q, p.vector) }))
        .sort((a, b) => b.score - a.score || (a.phrasingId < b.phrasingId ? -1 : 1))
        .slice(0, limit);
    },
    async averageChunkLength() {
      const block = db.prepare("select block from kb_chunks_fts_data where id = 1").get()?.block;
      const values = [];
      for (let i = 0; block && i < block.length; ) {
        let v = 0;
        for (let k = 0; ; k++) {
          const b = block[i++];
          if (k === 8) { v = v * 256 + b; break; }
          v = v * 128 + (b & 0x7f);
          if (!(b & 0x80)) break;
        }
        values.push(v);
      }
      const [rows = 0, ...columns] = values;
      return rows > 0 ? columns.reduce((a, b) => a + b, 0) / rows : null;
    },
    async representativeChunks(documentIds, match, weights) {
      return documentIds.flatMap((documentId) => {
        const own = chunks.map((c, i) => ({ c, rowid: i + 1 })).filter(({ c }) => c.documentId === documentId);
        if (own.length === 0) return [];
        if (match) {
          const best = db
            .prepare(`select rowid, bm25(kb_chunks_fts, ${weights.map(Number).join(", ")}) as rank from kb_chunks_fts where kb_chunks_fts match ? and rowid in (${own.map((o) => o.rowid).join(", ")}) order by rank limit 1`)
            .get(match);
          if (best) return [{ chunkId: chunks[best.rowid - 1].chunkId, documentId, score: -best.rank }];
        }
        return [{ chunkId: own[0].c.chunkId, documentId, score: 0 }];
      });
    },
  };
  return { ...backend, phrasings: phrasingSource };
}

/** Each FAQ's queries, in the set's order, alternately taught (1st, 3rd…) and held out (2nd, 4th…). */
function splitByFaq(queries) {
  const seen = new Map();
  const taught = [];
  const heldOut = [];
  for (const q of queries) {
    const index = seen.get(q.relevant[0]) ?? 0;
    seen.set(q.relevant[0], index + 1);
    (index % 2 === 0 ? taught : heldOut).push(q);
  }
  return { taught, heldOut };
}

/** 1-based rank of the first relevant document among the distinct documents of `hits`, or 0. */
function rankOf(hits, relevant) {
  const seen = [];
  for (const h of hits) if (!seen.includes(h.documentId)) seen.push(h.documentId);
  return seen.findIndex((id) => relevant.includes(id)) + 1;
}

async function evaluate(product, index, queries, options, modes, stopwords) {
  const out = {};
  for (const mode of modes) {
    const ranks = [];
    for (const q of queries) {
      const queryVector = mode === "keyword" ? null : Array.from(index.embedder.embedOne(q.query));
      // --answer-stopwords: the keyword query as it was cut before (the answerer's stopword list).
      const query = stopwords ? product.stopwordFreeWords(q.query).join(" ") : q.query;
      const hits = await product.retrieve(index.backend, { query, mode, k: TOP_K, queryVector }, { options });
      ranks.push(rankOf(hits, q.relevant));
    }
    out[mode] = scoreRanks(ranks);
  }
  out.bm25 = scoreRanks(queries.map((q) => index.bm25(q.query, q.relevant)));
  return out;
}

function parseArgs(argv) {
  const o = { set: null, options: {}, embedder: {}, grid: [], half: null, shapes: SHAPES, modes: MODES };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--options") o.options = JSON.parse(argv[++i]);
    else if (a === "--grid") {
      const [key, values] = argv[++i].split("=");
      o.grid.push({ key, values: values.split(";").map((v) => JSON.parse(v)) });
    } else if (a === "--answer-stopwords") o.stopwords = true;
    else if (a === "--embedder") o.embedder = JSON.parse(argv[++i]);
    else if (a === "--half") o.half = argv[++i];
    else if (a === "--shapes") o.shapes = argv[++i].split(",");
    else if (a === "--modes") o.modes = argv[++i].split(",");
    else if (a === "--phrasings") o.phrasings = true;
    else if (a === "--phrasing-legs") o.phrasingLegs = argv[++i];
    else if (a === "--untaught-faqs") o.untaughtFaqs = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else o.set = a;
  }
  const path = o.set ?? DEFAULT_SET;
  o.set = isAbsolute(path) ? path : resolve(o.set ? process.cwd() : ROOT, path);
  return o;
}

/** Every combination of the grid's values, as option objects. */
function combinations(grid) {
  let out = [{}];
  for (const { key, values } of grid) out = out.flatMap((o) => values.map((v) => ({ ...o, [key]: v })));
  return out;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const set = JSON.parse(readFileSync(args.set, "utf8"));
  const product = await loadProduct();
  const halves = evalHalves(set);
  const halfNames = args.half ? [args.half] : ["tune", "test"];
  const f3 = (x) => x.toFixed(3);
  for (const shape of args.shapes) {
    const index = await buildIndex(product, set, shape, args.embedder);
    for (const variant of combinations(args.grid)) {
      const options = { ...product.RETRIEVAL_DEFAULTS, ...args.options, ...variant };
      const rows = [];
      for (const half of halfNames) {
        if (args.phrasings) {
          const inHalf = queriesOfHalf(set, half, halves);
          const faqs = [...new Set(inHalf.map((q) => q.relevant[0]))].sort();
          const untaught = new Set(args.untaughtFaqs ? faqs.filter((_, i) => i % 2 === 1) : []);
          const { taught, heldOut } = splitByFaq(inHalf.filter((q) => !untaught.has(q.relevant[0])));
          const taughtIndex = { ...index, backend: withPhrasings(product, index, taught, args.phrasingLegs ?? "both") };
          const groups = [["held out", heldOut], ["untaught FAQs", inHalf.filter((q) => untaught.has(q.relevant[0]))]];
          for (const [label, asked] of groups) {
            if (asked.length === 0) continue;
            const without = await evaluate(product, index, asked, options, args.modes, args.stopwords);
            const withP = await evaluate(product, taughtIndex, asked, options, args.modes, args.stopwords);
            for (const m of args.modes) {
              rows.push([half, `${label}: ${m} without phrasings`, without[m].n, f3(without[m].hit1), f3(without[m].hit5), f3(without[m].mrr)]);
              rows.push([half, `${label}: ${m} with ${taught.length} phrasings`, withP[m].n, f3(withP[m].hit1), f3(withP[m].hit5), f3(withP[m].mrr)]);
            }
          }
          continue;
        }
        const r = await evaluate(product, index, queriesOfHalf(set, half, halves), options, args.modes, args.stopwords);
        for (const m of [...args.modes, "bm25"]) rows.push([half, m === "bm25" ? "textbook BM25" : m, r[m].n, f3(r[m].hit1), f3(r[m].hit5), f3(r[m].mrr)]);
      }
      console.log(
        formatTable({
          title: `${shape}: ${set.documents.length} documents, ${index.chunkCount} chunks; ${JSON.stringify({ ...args.options, ...variant })} embedder ${JSON.stringify(args.embedder)}`,
          columns: ["half", "retrieval", "queries", "hit@1", "hit@5", "MRR"],
          rows,
        }),
      );
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
