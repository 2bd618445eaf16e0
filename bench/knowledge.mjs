// Over 400 lines: one bench's data generator, growth steps, measurements and report, kept together so that a run reads in one place.
/**
 * The knowledge base through the public API of a local Worker (`wrangler dev`, offline
 * defaults: `hash` embedder, `local` vector store):
 *
 *  1. ingestion throughput, upload to `ready`: (a) one 100-page PDF uploaded as multipart
 *     `file`, (b) 1,000 small documents as JSON `{title, content}` (one chunk each), (c) the
 *     ~10-chunk documents that grow the knowledge base from 1k to 10k chunks, and (d) those
 *     that grow it from 10k to 100k;
 *  2. search latency p50/p99 of `GET /assistants/:id/search?k=5` in `keyword`, `vector` and
 *     `hybrid` mode with 1k, 10k and 100k chunks in one assistant (its `KnowledgeIndexDO`: FTS5
 *     and int4/int8 vectors in one object), one query at a time; beside them, the same client's
 *     round trips to `GET /assistants/:id` (no search), `GET /healthz` (nothing read) and a
 *     Worker of one line behind a `wrangler dev` of its own (the floor of any request here).
 *
 * The data is synthetic and deterministic (a seeded generator, see `TextGenerator`): a 20,000-word
 * vocabulary drawn with Zipf frequencies (s = 1), so posting lists are as skewed as in real text,
 * whose 86 most frequent words are English function words (stopwords the search drops, about
 * half of all words, as in English) and the rest made up; sentences of 6–20 words, paragraphs of
 * 2–6 sentences. Queries are 4–8 consecutive words of a document already in the index.
 *
 * The 100k point goes through the API too (~9,000 more documents of ~10 chunks). On a busy
 * machine that can take long: `KNOWLEDGE_BENCH_GROW_BUDGET_S` bounds the time spent growing past
 * the 10k point (default: no bound); search is then measured at the size reached, and the table
 * says so.
 *
 * Everything talks to 127.0.0.1 only, every wait is bounded, and the server is stopped at the
 * end, also on error. `KNOWLEDGE_BENCH_QUICK=1` runs a small version (a smoke test).
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { apiClient, loadAverage, percentile, ROOT, sleep, startEmptyWorker } from "./_lib.mjs";
import { uploadDocuments, withLocalPlatform } from "../scripts/lib/local-platform.mjs";

export const description =
  "Knowledge base: ingestion throughput (100-page PDF, 1,000 small documents, growth to 10k and 100k chunks) and search latency p50/p99 at 1k/10k/100k chunks in one assistant (keyword, vector, hybrid; wrangler dev)";

const QUICK = process.env.KNOWLEDGE_BENCH_QUICK === "1";
const SEED = 20261126;

const PDF_PAGES = QUICK ? 10 : 100;
const SMALL_DOCS = QUICK ? 200 : 1_000; // one chunk each: the first size point
const API_POINT = QUICK ? 1_000 : 10_000; // grown through the API with ~10-chunk documents
const BULK_POINT = QUICK ? 3_000 : 100_000; // grown through the API as well
/** Seconds the growth past the API point may take (`KNOWLEDGE_BENCH_GROW_BUDGET_S`); Infinity by default. */
const GROW_BUDGET_S = Number(process.env.KNOWLEDGE_BENCH_GROW_BUDGET_S ?? "Infinity");
const GROW_ROUND_DOCS = QUICK ? 100 : 1_000; // documents uploaded, then awaited, per round past the API point
const QUERIES = QUICK ? 50 : 500; // per mode and size, recorded
const WARM_UP = QUICK ? 10 : 30; // per mode and size, not recorded
const MODES = ["keyword", "vector", "hybrid"];
const TOP_K = 5;


const UPLOAD_PARALLEL = 8;
const MEDIUM_DOC_WORDS = 2_200; // ~10 chunks of the default 512-token target with 20 % overlap
const SMALL_DOC_WORDS = [80, 200]; // well inside one chunk
const READY_TIMEOUT_MS = 1_200_000; // for the largest batch (~900 documents) on a busy machine
const PDF_READY_TIMEOUT_MS = 300_000;

/** @param {{ tmpDir: string, log: (m: string) => void }} ctx */
export default async function run({ tmpDir, log }) {
  const gen = new TextGenerator(SEED);
  const started = { date: new Date().toISOString(), load: loadAverage() };
  const platform = { name: "knowledge-bench", log, tmpDir, apiTimeoutMs: 120_000, workspaceName: "Knowledge bench", assistantName: "Search" };
  return withLocalPlatform(platform, async ({ api, token, assistantId }) => {
    const pdfAssistant = await api.expect(201, "POST", "/api/v1/assistants", { token, body: { name: "PDF" } });
    const ingestion = [];
    const docs = []; // documents in the search assistant, for queries: {id, text}

    // (a) one large PDF, in its own assistant so the search sizes below stay exact.
    log(`building a ${PDF_PAGES}-page PDF…`);
    const { bytes: pdf, spec: pdfSpec } = await buildPdf(gen, PDF_PAGES, tmpDir);
    log(`uploading the PDF (${(pdf.length / 1024).toFixed(0)} KiB, load ${loadAverage()})…`);
    {
      const form = new FormData();
      form.append("file", new Blob([pdf], { type: "application/pdf" }), "product-manual.pdf");
      const t0 = performance.now();
      const accepted = await api.expect(202, "POST", `/api/v1/assistants/${pdfAssistant.id}/documents`, { token, form });
      const doc = await waitForOne(api, token, accepted.id, PDF_READY_TIMEOUT_MS);
      const seconds = (performance.now() - t0) / 1000;
      if (doc.status !== "ready") throw new Error(`the PDF did not become ready: ${doc.status} ${doc.error ?? ""}`);
      ingestion.push(throughputRow(`(a) ${PDF_PAGES}-page PDF, multipart file`, 1, doc.chunk_count, pdf.length, seconds));
      log(`  ready in ${seconds.toFixed(1)} s, ${doc.chunk_count} chunks`);
    }

    // (b) small documents as JSON: the 1k point.
    log(`uploading ${SMALL_DOCS} small documents (load ${loadAverage()})…`);
    const small = Array.from({ length: SMALL_DOCS }, (_, i) => gen.document(`Note ${i + 1}`, gen.int(...SMALL_DOC_WORDS)));
    log("timing the embedder alone, per document (tsx)…");
    const embedding = await embeddingTimes(tmpDir, [
      {
        name: `${PDF_PAGES}-page PDF`,
        title: "Product manual",
        sections: pdfSpec.map((page) => ({ heading: page.heading, text: page.lines.join("\n").replace(/\n{2,}/g, "\n\n").trim() })),
      },
      { name: "small document", title: small[0].title, sections: [{ heading: null, text: small[0].content }] },
    ]);
    const smallResult = await ingest(api, token, assistantId, small, log);
    docs.push(...smallResult.docs);
    ingestion.push(throughputRow(`(b) ${SMALL_DOCS.toLocaleString("en-US")} small documents, JSON`, small.length, smallResult.chunks, smallResult.bytes, smallResult.seconds));

    const searches = [];
    let chunks = await chunkTotal(api, token, assistantId);
    searches.push(...(await measureSearch(api, token, assistantId, docs, gen, chunks, log, tmpDir)));

    // (c) grow to the API point with ~10-chunk documents, then top up with one-chunk ones.
    log(`growing to ${API_POINT.toLocaleString("en-US")} chunks (load ${loadAverage()})…`);
    const mediumResult = { docs: 0, chunks: 0, bytes: 0, seconds: 0 };
    for (let round = 0; round < 6 && chunks < API_POINT; round++) {
      const perDoc = mediumResult.docs > 0 ? mediumResult.chunks / mediumResult.docs : 10;
      const missing = API_POINT - chunks;
      const medium = Math.floor((missing - perDoc) / perDoc); // leave a little for one-chunk documents to fill exactly
      const batch =
        medium >= 5
          ? Array.from({ length: round === 0 ? Math.min(medium, 20) : medium }, (_, i) => gen.document(`Guide ${round}-${i + 1}`, MEDIUM_DOC_WORDS))
          : Array.from({ length: missing }, (_, i) => gen.document(`Note ${round}-${i + 1}`, gen.int(...SMALL_DOC_WORDS)));
      const result = await ingest(api, token, assistantId, batch, log);
      docs.push(...result.docs);
      if (medium >= 5) {
        mediumResult.docs += batch.length;
        mediumResult.chunks += result.chunks;
        mediumResult.bytes += result.bytes;
        mediumResult.seconds += result.seconds;
      }
      chunks = await chunkTotal(api, token, assistantId);
    }
    ingestion.push(
      throughputRow(
        `(c) ${mediumResult.docs} documents of ${MEDIUM_DOC_WORDS.toLocaleString("en-US")} words, JSON`,
        mediumResult.docs,
        mediumResult.chunks,
        mediumResult.bytes,
        mediumResult.seconds,
      ),
    );
    searches.push(...(await measureSearch(api, token, assistantId, docs, gen, chunks, log, tmpDir)));

    // (d) grow to the bulk point through the API, in rounds, within the time budget.
    log(`growing to ${BULK_POINT.toLocaleString("en-US")} chunks (budget ${GROW_BUDGET_S} s, load ${loadAverage()})…`);
    const grow = { docs: 0, chunks: 0, bytes: 0, seconds: 0, stopped: "" };
    for (let round = 0; chunks < BULK_POINT; round++) {
      if (grow.seconds >= GROW_BUDGET_S) {
        grow.stopped = `stopped by the ${GROW_BUDGET_S} s budget`;
        break;
      }
      const perDoc = grow.docs > 0 ? grow.chunks / grow.docs : mediumResult.docs > 0 ? mediumResult.chunks / mediumResult.docs : 10;
      const count = Math.max(1, Math.min(GROW_ROUND_DOCS, Math.ceil((BULK_POINT - chunks) / perDoc)));
      const batch = Array.from({ length: count }, (_, i) => gen.document(`Archive ${round}-${i + 1}`, MEDIUM_DOC_WORDS));
      const result = await ingest(api, token, assistantId, batch, log);
      docs.push(...result.docs);
      grow.docs += batch.length;
      grow.chunks += result.chunks;
      grow.bytes += result.bytes;
      grow.seconds += result.seconds;
      chunks = await chunkTotal(api, token, assistantId);
    }
    if (grow.docs > 0) {
      const label = `(d) ${grow.docs} documents of ${MEDIUM_DOC_WORDS.toLocaleString("en-US")} words, JSON, to ${chunks.toLocaleString("en-US")} chunks`;
      ingestion.push(throughputRow(label, grow.docs, grow.chunks, grow.bytes, grow.seconds));
    }
    const largeSearch = await measureSearch(api, token, assistantId, docs, gen, chunks, log, tmpDir);
    if (grow.stopped) for (const row of largeSearch) row.note = [row.note, grow.stopped].filter(Boolean).join("; ");
    searches.push(...largeSearch);
    const finished = { load: loadAverage() };
    return tables({ started, finished, ingestion, embedding, searches });
  });
}

// ---- ingestion ---------------------------------------------------------------------------

/** Uploads `batch` as JSON documents and waits until all are ready: `{docs, chunks, bytes, seconds}`. */
async function ingest(api, token, assistantId, batch, log) {
  const t0 = performance.now();
  const bytes = batch.reduce((sum, doc) => sum + Buffer.byteLength(JSON.stringify({ title: doc.title, content: doc.content })), 0);
  let reported = 0;
  const { perDocument: ids } = await uploadDocuments(api, token, assistantId, batch, {
    parallel: UPLOAD_PARALLEL,
    timeoutMs: READY_TIMEOUT_MS,
    intervalMs: 1_000,
    onProgress: ({ ready, total }) => {
      if (ready - reported >= Math.max(100, batch.length / 5)) log(`  ${(reported = ready)}/${total} ready (load ${loadAverage()})`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const chunks = await chunksOf(api, token, assistantId, new Set(ids));
  log(`  ${ids.length} documents, ${chunks} chunks ready in ${seconds.toFixed(1)} s`);
  return { docs: batch.map((d, i) => ({ id: ids[i], text: d.content })), chunks, bytes, seconds };
}

/** Polls one document until it leaves queued/processing (a `retrying:` error counts as an answer too). */
async function waitForOne(api, token, id, timeoutMs, { untilError = false } = {}) {
  const deadline = Date.now() + timeoutMs;
  let doc = null;
  while (Date.now() < deadline) {
    doc = await api.expect(200, "GET", `/api/v1/documents/${id}`, { token });
    if (doc.status === "ready" || doc.status === "failed") return doc;
    if (untilError && doc.error) return doc;
    await sleep(100);
  }
  return doc;
}

function throughputRow(input, documents, chunks, bytes, seconds) {
  return [input, documents, chunks, (bytes / 1024 / 1024).toFixed(2), seconds.toFixed(1), (documents / seconds).toFixed(2), (chunks / seconds).toFixed(1)];
}

/** Every page of the assistant's document list. */
async function listAll(api, token, assistantId) {
  const out = [];
  let cursor = null;
  for (let pageNo = 0; pageNo < 2_000; pageNo++) {
    const qs = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api.expect(200, "GET", `/api/v1/assistants/${assistantId}/documents?${qs}`, { token });
    out.push(...page.data);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

async function chunksOf(api, token, assistantId, ids) {
  return (await listAll(api, token, assistantId)).filter((d) => ids.has(d.id)).reduce((sum, d) => sum + d.chunk_count, 0);
}

/** Chunks of the assistant's ready documents: what search sees. */
async function chunkTotal(api, token, assistantId) {
  return (await listAll(api, token, assistantId)).filter((d) => d.status === "ready").reduce((sum, d) => sum + d.chunk_count, 0);
}

// ---- search ------------------------------------------------------------------------------

/** p50/p99 of `QUERIES` searches per mode, one at a time, after `WARM_UP` unrecorded ones. */
async function measureSearch(api, token, assistantId, docs, gen, chunks, log, tmpDir, modes = MODES) {
  const rows = [];
  // The request path without a search (auth, the assistant lookup, JSON): what every mode pays.
  const baseline = [];
  for (let i = 0; i < WARM_UP + QUERIES; i++) {
    const res = await api.call("GET", `/api/v1/assistants/${assistantId}`, { token });
    if (i >= WARM_UP && res.status === 200) baseline.push(res.ms);
  }
  rows.push({ chunks, mode: "(no search: GET /assistants/:id)", n: baseline.length, p50: percentile(baseline, 50), p99: percentile(baseline, 99), note: "", load: loadAverage() });
  // The floor under both: a request that reads nothing, through the same server and client.
  const floor = [];
  for (let i = 0; i < WARM_UP + QUERIES; i++) {
    const res = await api.call("GET", "/healthz");
    if (i >= WARM_UP && res.status === 200) floor.push(res.ms);
  }
  rows.push({ chunks, mode: "(nothing read: GET /healthz)", n: floor.length, p50: percentile(floor, 50), p99: percentile(floor, 99), note: "", load: loadAverage() });
  // Under both: a Worker of one line behind its own `wrangler dev`, the same client.
  const empty = await emptyWorkerLatencies(tmpDir, log);
  rows.push({ chunks, mode: "(empty Worker: one-line fetch, own wrangler dev)", n: empty.length, p50: percentile(empty, 50), p99: percentile(empty, 99), note: "", load: loadAverage() });
  const queries = Array.from({ length: WARM_UP + QUERIES }, () => gen.queryFrom(docs[gen.int(0, docs.length - 1)].text));
  for (const mode of modes) {
    log(`search at ${chunks.toLocaleString("en-US")} chunks, ${mode} (load ${loadAverage()})…`);
    const latencies = [];
    let empty = 0;
    let errors = 0;
    let lastError = "";
    for (const [i, q] of queries.entries()) {
      const res = await api.call("GET", `/api/v1/assistants/${assistantId}/search?${new URLSearchParams({ q, k: String(TOP_K), mode })}`, { token });
      if (i < WARM_UP) continue;
      if (res.status !== 200) {
        errors++;
        lastError = `${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
        continue;
      }
      latencies.push(res.ms);
      if (res.body.data.length === 0) empty++;
    }
    log(`  ${mode} at ${chunks.toLocaleString("en-US")} chunks: p50 ${percentile(latencies, 50)?.toFixed(1)} ms, p99 ${percentile(latencies, 99)?.toFixed(1)} ms (${latencies.length} queries, ${empty} without hits, ${errors} errors)`);
    rows.push({
      chunks,
      mode,
      n: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      note: [empty ? `${empty} without hits` : "", errors ? `${errors} errors (${lastError})` : ""].filter(Boolean).join("; "),
      load: loadAverage(),
    });
  }
  return rows;
}

/**
 * Round trips to a Worker whose fetch handler returns a constant (no middleware, no storage),
 * served by a `wrangler dev` of its own, started for this and stopped after: what any request
 * through `wrangler dev` costs on this machine, whatever the Worker does.
 */
async function emptyWorkerLatencies(tmpDir, log) {
  const { base, server } = await startEmptyWorker(join(tmpDir, "empty-worker"));
  try {
    const client = apiClient(base);
    const latencies = [];
    for (let i = 0; i < WARM_UP + QUERIES; i++) {
      const res = await client.call("GET", "/");
      if (i >= WARM_UP && res.status === 200) latencies.push(res.ms);
    }
    return latencies;
  } finally {
    const stopped = await server.stop();
    log(`empty Worker stopped (${stopped.signal ?? `exit ${stopped.code}`}).`);
  }
}

// ---- output ------------------------------------------------------------------------------

function tables({ started, finished, ingestion, embedding, searches }) {
  const ms = (v) => (v === null || v === undefined ? "n/a" : v.toFixed(1));
  return [
    {
      title: "Ingestion throughput (upload to ready, hash embedder, local vector store)",
      columns: ["input", "documents", "chunks", "MiB sent", "seconds", "documents/s", "chunks/s"],
      rows: ingestion,
      notes: [
        `Seconds run from the first upload to the last document \`ready\` (${UPLOAD_PARALLEL} uploads in flight; readiness polled every 1 s, the PDF every 0.1 s), so they include the ingestion queue's batching wait (max_batch_timeout 1 s). Each document is parsed, chunked, embedded and indexed (the assistant's KnowledgeIndexDO: chunks, FTS5, int8 vectors) by the queue consumer.`,
      ],
    },
    {
      title: "Embedding alone, per document (hash embedder, 1,536 dims, in Node)",
      columns: ["document", "chunks", "ms per document", "ms per chunk"],
      rows: embedding.map((e) => [e.name, e.chunks, e.ms.toFixed(1), (e.ms / Math.max(1, e.chunks)).toFixed(2)]),
      notes: ["The project's chunker and `HashEmbedder` run with tsx on the same text as the uploads above; median of 7 runs after a warm-up."],
    },
    {
      title: "Search latency through the API (GET /assistants/:id/search, k = 5, one query at a time)",
      columns: ["chunks", "mode", "queries", "p50 ms", "p99 ms", "load (1/5/15 min)", "note"],
      rows: searches.map((r) => [r.chunks.toLocaleString("en-US"), r.mode, r.n, ms(r.p50), ms(r.p99), r.load ?? "", r.note ?? ""]),
      notes: [
        `Round trip measured by the client over 127.0.0.1 (auth, the assistant lookup and the search). Queries: 4–8 consecutive words of a random indexed document (about half of them stopwords), ${WARM_UP} unrecorded warm-up queries per mode and size first.`,
        "Every size point went through the API; the first vector search after a size change also loads nothing extra (the index keeps its int4 matrix in step with writes), but the first after an eviction rebuilds it from SQLite.",
        `Load average at start ${started.load}, at end ${finished.load} (2 cores, other jobs running). ${started.date}.`,
      ].filter(Boolean),
    },
  ];
}

// ---- data --------------------------------------------------------------------------------

/** A small seeded PRNG (mulberry32): the same data on every run. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * English function words, roughly by frequency: the generator's most frequent words, as in real
 * text, where they are about half of all words. All are stopwords of `llm/terms.ts`, so search
 * drops them from queries as it would from real questions.
 */
const FUNCTION_WORDS = (
  "the of and to a in is it you that he was for on are as with his they i at be this have from or " +
  "had by but not what all were we when your can there an which their if do will each about how up " +
  "out them then she many some so these would her him has more could no my than been who its " +
  "did over only just also any other into our most should very after before such where why those"
).split(" ");

/**
 * Words with Zipf frequencies (rank r drawn with weight 1/r): the English function words above
 * first, then made-up words; as sentences, paragraphs, titles and documents. ASCII only, so the
 * PDF's Helvetica can draw every character.
 */
export class TextGenerator {
  constructor(seed, vocabulary = 20_000) {
    this.random = mulberry32(seed);
    const onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cl", "dr", "gr", "pl", "st", "tr"];
    const vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou"];
    const codas = ["", "", "n", "r", "s", "t", "l", "m", "nd", "st"];
    const seen = new Set(FUNCTION_WORDS);
    this.words = [...FUNCTION_WORDS];
    for (let guard = 0; this.words.length < vocabulary && guard < vocabulary * 20; guard++) {
      const syllables = 1 + Math.floor(this.random() * 2) + (this.words.length > 300 ? 1 : 0); // frequent words short, as in English
      let w = "";
      for (let s = 0; s < syllables; s++) w += this.pick(onsets) + this.pick(vowels) + this.pick(codas);
      if (w.length >= 3 && !seen.has(w)) {
        seen.add(w);
        this.words.push(w);
      }
    }
    this.cumulative = [];
    let total = 0;
    for (let r = 1; r <= this.words.length; r++) this.cumulative.push((total += 1 / r));
    this.total = total;
  }

  pick(list) {
    return list[Math.floor(this.random() * list.length)];
  }

  int(min, max) {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  word() {
    const x = this.random() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo];
  }

  sentence(words = this.int(6, 20)) {
    const out = Array.from({ length: words }, () => this.word());
    out[0] = out[0][0].toUpperCase() + out[0].slice(1);
    return `${out.join(" ")}.`;
  }

  /** About `words` words of paragraphs (2–6 sentences each) separated by blank lines. */
  text(words) {
    const paragraphs = [];
    let count = 0;
    while (count < words) {
      const sentences = [];
      for (let s = this.int(2, 6); s > 0 && count < words; s--) {
        const n = Math.min(this.int(6, 20), Math.max(3, words - count));
        sentences.push(this.sentence(n));
        count += n;
      }
      paragraphs.push(sentences.join(" "));
    }
    return paragraphs.join("\n\n");
  }

  title() {
    const words = Array.from({ length: this.int(3, 6) }, () => this.word());
    if (words.every((w) => FUNCTION_WORDS.includes(w))) words.push(this.words[this.int(FUNCTION_WORDS.length, this.words.length - 1)]);
    return words.map((w) => w[0].toUpperCase() + w.slice(1)).join(" ");
  }

  document(prefix, words) {
    return { title: `${prefix}: ${this.title()}`, content: this.text(words) };
  }

  /** 4–8 consecutive words of `text` (about half of them function words, which search drops). */
  queryFrom(text) {
    const words = text.replace(/[.\n]/g, " ").split(/\s+/).filter(Boolean);
    const n = this.int(4, 8);
    const start = this.int(0, Math.max(0, words.length - n));
    return words.slice(start, start + n).join(" ").toLowerCase();
  }
}

/**
 * A PDF of `pages` pages (a bold heading and ~44 lines of 10-point text each, blank lines
 * between paragraphs), made with the parsers' own test builder (`buildPdf` of
 * `workers/test/document-fixtures.ts`, run with tsx).
 */
async function buildPdf(gen, pages, tmpDir) {
  const spec = [];
  for (let p = 0; p < pages; p++) {
    const lines = [];
    while (lines.length < 44) {
      const paragraph = gen.text(gen.int(40, 110)).replace(/\n+/g, " ");
      let line = "";
      for (const word of paragraph.split(" ")) {
        if (line.length + word.length + 1 > 92) {
          lines.push(line);
          line = word;
        } else line = line ? `${line} ${word}` : word;
      }
      if (line) lines.push(line);
      lines.push("");
    }
    spec.push({ heading: `${p + 1}. ${gen.title()}`, lines: lines.slice(0, 44) });
  }
  const specFile = join(tmpDir, "pdf-spec.json");
  const outFile = join(tmpDir, "manual.pdf");
  const script = join(tmpDir, "make-pdf.ts");
  writeFileSync(specFile, JSON.stringify(spec));
  writeFileSync(
    script,
    [
      `import { readFileSync, writeFileSync } from "node:fs";`,
      `import { buildPdf } from ${JSON.stringify(join(ROOT, "workers/test/document-fixtures.ts"))};`,
      `const spec: { heading: string; lines: string[] }[] = JSON.parse(readFileSync(process.argv[2]!, "utf8"));`,
      `const pages = spec.map((p) => [`,
      `  { text: p.heading, x: 72, y: 740, size: 16, font: "bold" as const },`,
      `  ...p.lines.flatMap((text, i) => (text ? [{ text, x: 72, y: 712 - i * 14, size: 10 }] : [])),`,
      `]);`,
      `writeFileSync(process.argv[3]!, buildPdf(pages, { title: "Product manual" }));`,
    ].join("\n"),
  );
  await runTsx(script, [specFile, outFile]);
  return { bytes: readFileSync(outFile), spec };
}

/** Runs a TypeScript file with tsx (the project's own modules, in Node) and resolves with its stdout. */
function runTsx(script, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [join(ROOT, "node_modules", "tsx", "dist", "cli.mjs"), script, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d) => (stdout += d));
    proc.stderr.on("data", (d) => (stderr += d));
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`tsx ${script} failed (${code}): ${stderr.slice(-1000)}`))));
  });
}

/**
 * Embedding alone, per document, in Node: the project's chunker and hash embedder (run with
 * tsx) on the PDF's text (one section per page, as the parser makes of it) and on a small
 * document. Chunk text as `index-chunks.ts` embeds it: title, heading, content. Median of 7 runs
 * after one warm-up.
 */
async function embeddingTimes(tmpDir, documents) {
  const input = join(tmpDir, "embed-input.json");
  const script = join(tmpDir, "embed-times.mts"); // .mts: an ES module, for top-level await
  writeFileSync(input, JSON.stringify(documents));
  writeFileSync(
    script,
    [
      `import { readFileSync } from "node:fs";`,
      `import { chunkDocument } from ${JSON.stringify(join(ROOT, "workers/src/knowledge/chunker.ts"))};`,
      `import { HashEmbedder } from ${JSON.stringify(join(ROOT, "workers/src/knowledge/embeddings/hash-embedder.ts"))};`,
      `const docs: { name: string; title: string; sections: { heading: string | null; text: string }[] }[] = JSON.parse(readFileSync(process.argv[2]!, "utf8"));`,
      `const embedder = new HashEmbedder();`,
      `const out = [];`,
      `for (const doc of docs) {`,
      `  const chunks = chunkDocument({ title: doc.title, sections: doc.sections.map((s) => ({ ...s, level: s.heading ? 1 : 0 })) });`,
      `  const texts = chunks.map((c) => [doc.title, c.heading, c.content].filter(Boolean).join("\\n"));`,
      `  await embedder.embed(texts);`,
      `  const runs: number[] = [];`,
      `  for (let i = 0; i < 7; i++) { const t0 = performance.now(); await embedder.embed(texts); runs.push(performance.now() - t0); }`,
      `  runs.sort((a, b) => a - b);`,
      `  out.push({ name: doc.name, chunks: chunks.length, ms: runs[3] });`,
      `}`,
      `console.log(JSON.stringify(out));`,
    ].join("\n"),
  );
  return JSON.parse(await runTsx(script, [input]));
}
