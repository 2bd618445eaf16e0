#!/usr/bin/env node
/**
 * `npm run eval:answers`: answer quality, end to end through the public conversation API of a
 * local Worker. Where `npm run eval` asks whether search finds the right article, this asks
 * whether the visitor gets the right answer, or an honest hand-off, and how often a confident
 * wrong answer slips through.
 *
 *   npm run eval:answers                          both sets, the StackFAQ test half
 *   npm run eval:answers -- --sets demo           only the demo shop (or --sets stackfaq)
 *   npm run eval:answers -- --half tune           the StackFAQ tuning half (or --half all)
 *   npm run eval:answers -- --verbose             print every answer that is not right
 *   npm run eval:answers -- --json out.json       also write every question, answer and verdict
 *
 * What it does: starts its own `wrangler dev` (fresh database in a temporary folder, burst rate
 * limits off, the offline defaults of wrangler.toml: `extractive` model, `hash` embedder,
 * `local` vector store), signs up a workspace, and for each set creates an assistant, adds the
 * set's documents as JSON `{title, content}` through `POST /api/v1/assistants/:id/documents`,
 * waits until they are `ready`, then asks each question in a conversation of its own
 * (`POST /api/v1/conversations`, then `POST /api/v1/conversations/:id/messages`), one at a time.
 *
 * The sets:
 * - `demo`: the demo shop's help articles (`seed/docs/*.md`, titled by their first `# ` heading,
 *   as `npm start` uploads them) and `seed/questions.json`: questions as visitors ask them, each
 *   answerable one with a `fact` (a case-insensitive regular expression) and the `document` it is
 *   in; the others are not answered by the articles (a phone number, opening hours…).
 * - `stackfaq`: `../shared/eval/stackfaq.json` (125 FAQs, 1,249 rephrased questions). A fixed fifth
 *   of the FAQs (those whose number is a multiple of 5) is held out of the knowledge base: their
 *   questions are unanswerable. The others are answerable, and an answer is right when it cites
 *   the labelled FAQ (there is no fact to check: the FAQ's answer is the fact). The questions are
 *   split by FAQ into the tuning and test halves of `npm run eval` (`evalHalves` of
 *   bench/_lib.mjs), so that no FAQ's questions are in both; the test half is the number that
 *   counts. The knowledge base holds every FAQ not held out, whichever half is asked.
 *
 * Verdicts, per question:
 * - right: the answer cites the expected document (and, on the demo set, contains the fact);
 * - confident wrong: it cites a source but not the expected document or fact, or it cites one
 *   for a question the knowledge base does not answer: the worst outcome;
 * - honest refusal: no source cited, and the conversation was handed to a person (escalation);
 * - uncited: no source and no hand-off (an answer nobody can check, and nobody follows up).
 * Escalations are counted on their own too (a right answer may still be escalated). "Docs cited
 * twice" counts answers citing the same document under two markers.
 *
 * Exit status: 0 when it ran (the numbers are the result), 2 on errors.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { EVAL_HALVES, evalHalves, formatTable, loadAverage, queriesOfHalf, ROOT } from "../bench/_lib.mjs";
import { runMain, uploadDocuments, withLocalPlatform } from "./lib/local-platform.mjs";

const ALL_SETS = ["demo", "stackfaq"];
const STACKFAQ_PATH = resolve(ROOT, "../shared/eval/stackfaq.json");
const DEMO_DOCS_DIR = join(ROOT, "seed", "docs");
const DEMO_QUESTIONS = join(ROOT, "seed", "questions.json");
/** Every fifth FAQ is left out of the knowledge base: a fixed, id-based fifth, so runs compare. */
const HELD_OUT_EVERY = 5;
const UPLOAD_PARALLEL = 8;
const READY_TIMEOUT_MS = 900_000;

function parseArgs(argv) {
  const options = { sets: ALL_SETS, half: "test", json: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => (arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i]);
    if (arg === "--sets" || arg.startsWith("--sets=")) options.sets = value().split(",");
    else if (arg === "--half" || arg.startsWith("--half=")) options.half = value();
    else if (arg === "--json" || arg.startsWith("--json=")) options.json = value();
    else if (arg === "--verbose") options.verbose = true;
    else throw new Error(`unknown option ${arg}`);
  }
  const unknown = options.sets.filter((s) => !ALL_SETS.includes(s));
  if (unknown.length > 0) throw new Error(`unknown set ${unknown.join(", ")} (sets: ${ALL_SETS.join(", ")})`);
  if (!EVAL_HALVES.includes(options.half)) throw new Error(`unknown half ${options.half} (halves: ${EVAL_HALVES.join(", ")})`);
  return options;
}

const log = (message) => console.error(`[eval:answers] ${message}`);

/** The demo shop: its articles as `npm start` uploads them, and its questions. */
function demoSet() {
  const documents = readdirSync(DEMO_DOCS_DIR)
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((file) => {
      const content = readFileSync(join(DEMO_DOCS_DIR, file), "utf8");
      return { id: file, title: /^#\s+(.+)$/m.exec(content)?.[1]?.trim() ?? file.replace(/\.md$/, ""), content };
    });
  const { questions } = JSON.parse(readFileSync(DEMO_QUESTIONS, "utf8"));
  return {
    name: "demo shop (seed/docs)",
    documents,
    questions: questions.map((q) => ({
      question: q.question,
      expected: q.document ? { documents: [q.document], fact: new RegExp(q.fact, "i") } : null,
    })),
  };
}

/** FAQ number of a StackFAQ id (`faq017` → 17). */
const faqNumber = (id) => Number(/\d+/.exec(id)?.[0] ?? Number.NaN);

/** StackFAQ with every fifth FAQ held out, restricted to one half of the FAQs (the halves of `npm run eval`). */
function stackfaqSet(half) {
  const set = JSON.parse(readFileSync(STACKFAQ_PATH, "utf8"));
  const heldOut = new Set(set.documents.filter((d) => faqNumber(d.id) % HELD_OUT_EVERY === 0).map((d) => d.id));
  return {
    name: `StackFAQ, ${half === "all" ? "all FAQs" : `${half} half`}, every ${HELD_OUT_EVERY}th FAQ held out`,
    documents: set.documents.filter((d) => !heldOut.has(d.id)),
    questions: queriesOfHalf(set, half, evalHalves(set)).map((q) => ({
        question: q.query,
        expected: q.relevant.some((id) => heldOut.has(id)) ? null : { documents: q.relevant, fact: null },
      })),
  };
}

/** Asks `question` in a new conversation; resolves with the assistant's message and the escalation. */
async function ask(api, token, assistantId, question, n) {
  const conv = await api.expect(201, "POST", "/api/v1/conversations", {
    token,
    body: { assistant_id: assistantId, visitor_id: `eval-${n}`, channel: "api" },
  });
  const res = await api.call("POST", `/api/v1/conversations/${conv.conversation_id}/messages`, { token, body: { content: question } });
  if (res.status !== 200) throw new Error(`message answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  return { ...res.body, ms: res.ms };
}

/** The verdict on one answer. */
function judge(item, reply, setIdsOf) {
  const { message, escalation } = reply;
  const citedDocs = message.sources.map((s) => s.document_id);
  const cited = [...new Set(citedDocs.flatMap((id) => setIdsOf.get(id) ?? [`?${id}`]))];
  const markers = [...new Set((message.content.match(/\[\d{1,2}\]/g) ?? []))];
  const citedTwice = new Set(citedDocs).size < citedDocs.length;
  let verdict;
  if (cited.length === 0) verdict = escalation ? "refusal" : "uncited";
  else if (!item.expected) verdict = "wrong";
  else {
    const rightDoc = cited.some((id) => item.expected.documents.includes(id));
    const rightFact = item.expected.fact === null || item.expected.fact.test(message.content);
    verdict = rightDoc && rightFact ? "right" : "wrong";
  }
  return { verdict, escalated: escalation !== null, cited, markers: markers.length, citedTwice, confidence: message.confidence };
}

function summarise(results) {
  const count = (pred) => results.filter(pred).length;
  const answerable = results.filter((r) => r.answerable);
  const unanswerable = results.filter((r) => !r.answerable);
  const row = (label, rs) => {
    const n = rs.length || 1;
    const c = (v) => rs.filter((r) => r.verdict === v).length;
    const pct = (x) => `${x} (${((x / n) * 100).toFixed(1)} %)`;
    return [label, rs.length, pct(c("right")), pct(c("wrong")), pct(c("refusal")), pct(c("uncited")), pct(rs.filter((r) => r.escalated).length)];
  };
  return {
    rows: [row("answerable", answerable), row("unanswerable", unanswerable), row("all", results)],
    citedTwice: count((r) => r.citedTwice),
    multiMarker: count((r) => r.markers > 1),
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const sets = options.sets.map((s) => (s === "demo" ? demoSet() : stackfaqSet(options.half)));
  const loadAtStart = loadAverage();
  return withLocalPlatform({ name: "eval-answers", log, workspaceName: "Answer eval", assistantName: "unused" }, async ({ api, token }) => {
    const out = [];
    let n = 0;
    for (const set of sets) {
      const assistant = await api.expect(201, "POST", "/api/v1/assistants", { token, body: { name: set.name.slice(0, 60) } });
      log(`${set.name}: ${set.documents.length} documents, ${set.questions.length} questions`);
      const { setIdsOf } = await uploadDocuments(api, token, assistant.id, set.documents, { parallel: UPLOAD_PARALLEL, timeoutMs: READY_TIMEOUT_MS });
      const results = [];
      for (const item of set.questions) {
        const reply = await ask(api, token, assistant.id, item.question, n++);
        const verdict = judge(item, reply, setIdsOf);
        results.push({ question: item.question, answerable: item.expected !== null, expected: item.expected?.documents ?? null, answer: reply.message.content, ...verdict });
        if (options.verbose && verdict.verdict !== "right" && verdict.verdict !== "refusal") {
          log(`${verdict.verdict.toUpperCase()} ${item.question}\n    → ${reply.message.content.slice(0, 300)}  (cited ${verdict.cited.join(", ") || "nothing"}; expected ${item.expected?.documents.join(", ") ?? "a refusal"})`);
        } else if (options.verbose && verdict.verdict === "refusal" && item.expected) {
          log(`MISSED ${item.question} (expected ${item.expected.documents.join(", ")})`);
        }
      }
      const s = summarise(results);
      out.push({ set: set.name, documents: set.documents.length, ...s, results });
      console.log(
        formatTable({
          title: `Answers: ${set.name} (${set.documents.length} documents, ${results.length} questions)`,
          columns: ["questions", "n", "right", "confident wrong", "honest refusal", "uncited, no hand-off", "escalated"],
          rows: s.rows,
          notes: [`Answers citing one document under two markers: ${s.citedTwice}; answers with more than one marker: ${s.multiMarker}.`],
        }),
      );
      console.log("");
    }
    console.log(`Load average ${loadAtStart} at start, ${loadAverage()} at end (node ${process.version}).`);
    if (options.json) {
      writeFileSync(options.json, `${JSON.stringify({ date: new Date().toISOString(), half: options.half, sets: out }, null, 2)}\n`);
      log(`wrote ${options.json}`);
    }
    return 0;
  });
}

runMain("eval:answers", main);
