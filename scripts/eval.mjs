#!/usr/bin/env node
/**
 * `npm run eval`: retrieval quality of the knowledge base on a labelled FAQ set, end to end
 * through the public API of a local Worker.
 *
 *   npm run eval                                   ../shared/eval/stackfaq.json, all modes
 *   npm run eval -- path/to/set.json               another set (or EVAL_SET=path)
 *   npm run eval -- --modes hybrid,keyword         only some modes
 *   npm run eval -- --json out.json                also write the numbers (and per-query ranks)
 *   npm run eval -- --half tune|test|all           only the queries of one half of the set (default: all,
 *                                                  reported per half as well)
 *   npm run eval -- --half test --phrasings        what learned phrasings are worth (see below)
 *
 * What it does: starts its own `wrangler dev` (fresh database in a temporary folder, burst rate
 * limits off, the offline defaults of wrangler.toml: `hash` embedder, `local` vector store),
 * signs up a workspace, creates an assistant, adds every document of the set as JSON
 * `{title, content}` through `POST /api/v1/assistants/:id/documents`, waits until all are
 * `ready`, then asks every query through `GET /api/v1/assistants/:id/search?q=…&k=5` once per
 * mode (`hybrid`, the default, then `keyword` and `vector` alone), one query at a time.
 *
 * Scoring: the search returns chunks; a document's rank is the position of its first chunk
 * among the distinct documents of the answer (a long document split into several chunks counts
 * once, where it first appears). hit@1 and hit@5 are the share of queries whose labelled
 * document is first / among the answer's documents; MRR averages 1/rank (0 when missing).
 * Latency is the client-side round trip of each search request, over 127.0.0.1.
 *
 * The set: `{documents: [{id, title, content}], queries: [{query, relevant: [id]}]}`. The
 * set's ids are mapped to ours through the ids the create call returns.
 *
 * Halves: the set is split by FAQ, never by query (`evalHalves` in bench/_lib.mjs: document ids
 * sorted, alternately `tune` and `test`); a query belongs to its labelled FAQ's half. Retrieval
 * constants are chosen on `tune`; `test` is the number that counts. Every half's table has the
 * set's reference next to it: plain BM25 (k1 1.2, b 0.75, lower-cased alphanumeric tokens, no
 * stemming) over title + content, computed here on the same queries.
 *
 * Learned phrasings (`--phrasings`): for every FAQ of the half, its queries alternate, by their
 * order in the set, between taught (1st, 3rd, 5th…) and held out (2nd, 4th…). The held-out
 * queries are asked in each mode, then every taught query is added as a learned phrasing of its
 * FAQ's document through `POST /api/v1/documents/:id/phrasings`, then the held-out queries are
 * asked again: the table shows each mode without and with the phrasings.
 *
 * Exit status: 0 when hybrid search beats the reference on hit@1, hit@5 and MRR on every half
 * reported (with `--phrasings`: when no mode's hit@1 is lower with the phrasings than without),
 * 1 when it does not, 2 on errors.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { EVAL_HALVES, evalHalves, formatTable, loadAverage, mapLimit, percentile, ROOT, scoreRanks, textbookBm25 } from "../bench/_lib.mjs";
import { runMain, uploadDocuments, withLocalPlatform } from "./lib/local-platform.mjs";

const REFERENCE_NAME = "plain BM25 (the set's reference)";
const DEFAULT_SET = "../shared/eval/stackfaq.json";
const ALL_MODES = ["hybrid", "keyword", "vector"];
const TOP_K = 5;
const UPLOAD_PARALLEL = 8;
const READY_TIMEOUT_MS = 900_000;
const WARM_UP_QUERIES = 20; // per mode, not recorded: JIT, D1 statement cache, the vector matrix load

function parseArgs(argv) {
  const options = { set: process.env.EVAL_SET ?? null, modes: ALL_MODES, json: null, half: "all", phrasings: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--modes") options.modes = argv[++i].split(",");
    else if (arg.startsWith("--modes=")) options.modes = arg.slice("--modes=".length).split(",");
    else if (arg === "--json") options.json = argv[++i];
    else if (arg === "--half") options.half = argv[++i];
    else if (arg.startsWith("--half=")) options.half = arg.slice("--half=".length);
    else if (arg.startsWith("--json=")) options.json = arg.slice("--json=".length);
    else if (arg === "--phrasings") options.phrasings = true;
    else if (arg.startsWith("-")) throw new Error(`unknown option ${arg}`);
    else options.set = arg;
  }
  if (!EVAL_HALVES.includes(options.half)) throw new Error(`unknown half ${options.half} (halves: ${EVAL_HALVES.join(", ")})`);
  const unknown = options.modes.filter((m) => !ALL_MODES.includes(m));
  if (unknown.length > 0) throw new Error(`unknown mode ${unknown.join(", ")} (modes: ${ALL_MODES.join(", ")})`);
  const path = options.set ?? DEFAULT_SET;
  options.set = isAbsolute(path) ? path : resolve(options.set ? process.cwd() : ROOT, path);
  return options;
}

const log = (message) => console.error(`[eval] ${message}`);

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const set = JSON.parse(readFileSync(options.set, "utf8"));
  if (!Array.isArray(set.documents) || !Array.isArray(set.queries)) throw new Error(`${options.set} has no documents/queries arrays`);
  const halfOf = evalHalves(set);
  const queries = options.half === "all" ? set.queries : set.queries.filter((q) => halfOf.get(q.relevant[0]) === options.half);
  log(`${set.documents.length} documents, ${queries.length} queries (half ${options.half}) from ${options.set}`);

  const loadAtStart = loadAverage();
  const platform = { name: "eval", log, workspaceName: "Retrieval eval", assistantName: "Eval assistant" };
  return withLocalPlatform(platform, async ({ api, token, assistantId }) => {
    // Load the documents; remember which of the set's ids each of ours stands for.
    const started = performance.now();
    let lastReported = -1;
    const { ids, setIdsOf: evalIdsOf } = await uploadDocuments(api, token, assistantId, set.documents, {
      parallel: UPLOAD_PARALLEL,
      timeoutMs: READY_TIMEOUT_MS,
      onProgress: ({ ready, total }) => {
        if (ready - lastReported >= 25) log(`  ${(lastReported = ready)}/${total} ready`);
      },
    });
    const ingestSeconds = (performance.now() - started) / 1000;
    const chunkCount = await countChunks(api, token, assistantId);
    log(`${ids.length} documents (${chunkCount} chunks) ready in ${ingestSeconds.toFixed(1)} s`);
    if (options.phrasings) {
      return await phrasingExperiment({ api, token, assistantId, set, queries, evalIdsOf, options, chunkCount, loadAtStart });
    }

    const results = [];
    for (const mode of options.modes) {
      const ask = (query) =>
        api.call("GET", `/api/v1/assistants/${assistantId}/search?${new URLSearchParams({ q: query, k: String(TOP_K), mode })}`, { token });
      for (const q of queries.slice(0, WARM_UP_QUERIES)) await ask(q.query);
      log(`mode ${mode}: ${queries.length} queries (load ${loadAverage()})`);
      const ranks = [];
      const latencies = [];
      for (const q of queries) {
        const res = await ask(q.query);
        if (res.status !== 200) throw new Error(`search (${mode}) answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
        latencies.push(res.ms);
        ranks.push(rankOf(res.body.data, q.relevant, evalIdsOf));
      }
      results.push({ mode, p50: percentile(latencies, 50), p95: percentile(latencies, 95), ranks });
    }

    const bm25 = textbookBm25(set.documents);
    const referenceRanks = queries.map((q) => bm25(q.query, q.relevant));
    const halves = options.half === "all" ? ["all", "tune", "test"] : [options.half];
    const tables = [];
    let beatsEverywhere = true;
    const perHalf = {};
    for (const half of halves) {
      const inHalf = queries.map((q) => half === "all" || halfOf.get(q.relevant[0]) === half);
      const pick = (ranks) => ranks.filter((_, i) => inHalf[i]);
      const reference = scoreRanks(pick(referenceRanks));
      const scored = results.map((r) => ({ ...r, ...scoreRanks(pick(r.ranks)) }));
      const hybrid = scored.find((r) => r.mode === "hybrid");
      const beats = hybrid ? hybrid.hit1 > reference.hit1 && hybrid.hit5 > reference.hit5 && hybrid.mrr > reference.mrr : null;
      if (beats === false) beatsEverywhere = false;
      perHalf[half] = { reference, results: scored.map(({ ranks: _ranks, ...r }) => r) };
      tables.push({
        title: `Retrieval on ${set.documents.length} documents (${chunkCount} chunks), ${reference.n} queries (half: ${half}), k = ${TOP_K}`,
        columns: ["retrieval", "hit@1", "hit@5", "MRR", "p50 ms", "p95 ms"],
        rows: [
          ...scored.map((r) => [r.mode === "hybrid" ? "hybrid (the default)" : r.mode, f3(r.hit1), f3(r.hit5), f3(r.mrr), r.p50.toFixed(1), r.p95.toFixed(1)]),
          [REFERENCE_NAME, f3(reference.hit1), f3(reference.hit5), f3(reference.mrr), "–", "–"],
        ],
        notes: [
          hybrid
            ? `hybrid vs the reference: hit@1 ${delta(hybrid.hit1, reference.hit1)}, hit@5 ${delta(hybrid.hit5, reference.hit5)}, MRR ${delta(hybrid.mrr, reference.mrr)}: ${beats ? "beats it on all three" : "does NOT beat it on all three"}.`
            : "hybrid not run: no comparison with the reference.",
        ],
      });
    }
    const loadAtEnd = loadAverage();
    tables[tables.length - 1].notes.push(
      `Ingestion: ${ids.length} documents, ${chunkCount} chunks, ready in ${ingestSeconds.toFixed(1)} s. Latency (p50/p95: all queries of the run) is the client's round trip over 127.0.0.1, one query at a time, after ${WARM_UP_QUERIES} warm-up queries per mode. Load average ${loadAtStart} at start, ${loadAtEnd} at end (${nodeInfo()}).`,
    );
    console.log(tables.map(formatTable).join("\n\n"));
    if (options.json) {
      const out = {
        date: new Date().toISOString(),
        set: options.set,
        documents: ids.length,
        chunks: chunkCount,
        ingest_seconds: ingestSeconds,
        load: { start: loadAtStart, end: loadAtEnd },
        half: options.half,
        halves: perHalf,
        results: results.map(({ ranks, ...r }) => ({ ...r, ranks })),
      };
      writeFileSync(options.json, `${JSON.stringify(out, null, 2)}\n`);
      log(`wrote ${options.json}`);
    }
    return beatsEverywhere ? 0 : 1;
  });
}

/**
 * `--phrasings`: the held-out half of each FAQ's queries, asked without and then with the taught
 * half as learned phrasings of the FAQ's document. Returns the exit status.
 */
async function phrasingExperiment({ api, token, assistantId, set, queries, evalIdsOf, options, chunkCount, loadAtStart }) {
  const { taught, heldOut } = splitByFaq(queries);
  const ourIdOf = new Map();
  for (const [ours, evalIds] of evalIdsOf) for (const evalId of evalIds) ourIdOf.set(evalId, ours);
  const askAll = async (label) => {
    const out = {};
    for (const mode of options.modes) {
      const ask = (query) =>
        api.call("GET", `/api/v1/assistants/${assistantId}/search?${new URLSearchParams({ q: query, k: String(TOP_K), mode })}`, { token });
      for (const q of heldOut.slice(0, WARM_UP_QUERIES)) await ask(q.query);
      log(`${label}, mode ${mode}: ${heldOut.length} held-out queries (load ${loadAverage()})`);
      const ranks = [];
      for (const q of heldOut) {
        const res = await ask(q.query);
        if (res.status !== 200) throw new Error(`search (${mode}) answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
        ranks.push(rankOf(res.body.data, q.relevant, evalIdsOf));
      }
      out[mode] = { ranks, ...scoreRanks(ranks) };
    }
    return out;
  };

  const without = await askAll("without phrasings");
  const started = performance.now();
  await mapLimit(taught, UPLOAD_PARALLEL, async (q) => {
    const documentId = ourIdOf.get(q.relevant[0]);
    const res = await api.call("POST", `/api/v1/documents/${documentId}/phrasings`, { token, body: { text: q.query.trim().slice(0, 500) } });
    if (res.status !== 201 && res.status !== 200) throw new Error(`adding a phrasing answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  });
  log(`${taught.length} phrasings added in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const withPhrasings = await askAll("with phrasings");

  const faqs = new Set(queries.map((q) => q.relevant[0])).size;
  const rows = options.modes.flatMap((mode) => {
    const a = without[mode];
    const b = withPhrasings[mode];
    return [
      [mode, "without", f3(a.hit1), f3(a.hit5), f3(a.mrr)],
      [mode, "with phrasings", f3(b.hit1), f3(b.hit5), f3(b.mrr)],
      [mode, "gain", signed(b.hit1 - a.hit1), signed(b.hit5 - a.hit5), signed(b.mrr - a.mrr)],
    ];
  });
  const bm25 = textbookBm25(set.documents);
  const reference = scoreRanks(heldOut.map((q) => bm25(q.query, q.relevant)));
  console.log(
    formatTable({
      title: `Learned phrasings: ${set.documents.length} documents (${chunkCount} chunks), half ${options.half}: ${faqs} FAQs, ${taught.length} queries taught as phrasings, ${heldOut.length} held out and asked, k = ${TOP_K}`,
      columns: ["retrieval", "phrasings", "hit@1", "hit@5", "MRR"],
      rows: [...rows, [REFERENCE_NAME, "–", f3(reference.hit1), f3(reference.hit5), f3(reference.mrr)]],
      notes: [`Each FAQ's queries alternate by their order in the set: taught, held out, taught… Load average ${loadAtStart} at start, ${loadAverage()} at end (${nodeInfo()}).`],
    }),
  );
  if (options.json) {
    const scores = (r) => Object.fromEntries(Object.entries(r).map(([mode, { ranks, ...rest }]) => [mode, { ...rest, ranks }]));
    const out = { date: new Date().toISOString(), set: options.set, half: options.half, taught: taught.length, held_out: heldOut.length, without: scores(without), with: scores(withPhrasings) };
    writeFileSync(options.json, `${JSON.stringify(out, null, 2)}\n`);
    log(`wrote ${options.json}`);
  }
  return options.modes.every((m) => withPhrasings[m].hit1 >= without[m].hit1) ? 0 : 1;
}

/** Each FAQ's queries, in the set's order, alternately taught (1st, 3rd…) and held out (2nd, 4th…). */
function splitByFaq(queries) {
  const seen = new Map();
  const taught = [];
  const heldOut = [];
  for (const q of queries) {
    const faq = q.relevant[0];
    const index = seen.get(faq) ?? 0;
    seen.set(faq, index + 1);
    (index % 2 === 0 ? taught : heldOut).push(q);
  }
  return { taught, heldOut };
}

/** 1-based rank of the first relevant document among the distinct documents of `hits`, or 0. */
function rankOf(hits, relevant, evalIdsOf) {
  const seen = [];
  for (const hit of hits) if (!seen.includes(hit.document_id)) seen.push(hit.document_id);
  const index = seen.findIndex((id) => (evalIdsOf.get(id) ?? []).some((evalId) => relevant.includes(evalId)));
  return index + 1;
}

/** Sum of `chunk_count` over the assistant's documents. */
async function countChunks(api, token, assistantId) {
  let total = 0;
  let cursor = null;
  for (let pageNo = 0; pageNo < 2_000; pageNo++) {
    const qs = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api.expect(200, "GET", `/api/v1/assistants/${assistantId}/documents?${qs}`, { token });
    for (const doc of page.data) total += doc.chunk_count;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return total;
}

const f3 = (x) => x.toFixed(3);
const signed = (x) => `${x >= 0 ? "+" : ""}${x.toFixed(3)}`;
const delta = (x, ref) => `${x >= ref ? "+" : ""}${(x - ref).toFixed(3)} (${x >= ref ? "+" : ""}${(((x - ref) / ref) * 100).toFixed(1)} %)`;
const nodeInfo = () => `node ${process.version}`;

runMain("eval", main);
