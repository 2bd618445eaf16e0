/**
 * CPU cost of the text work of one answer turn with the offline model, run with Node (same V8 as
 * workerd; the Workers runtime freezes timers during CPU work, so it cannot time itself):
 *
 *   npx tsx bench/turn-text.ts
 *
 * For every question of `seed/questions.json`, the demo shop's articles (`seed/docs`) are parsed
 * and chunked as ingestion does, the five chunks sharing the most terms with the question stand
 * in for retrieval, and one turn is timed: the `extractive` model's answer (`extractAnswer`) and
 * its confidence (`scoreConfidence`). "cold" clears the text memo of `llm/terms.ts` before each
 * turn (an isolate's first turn on these passages); "warm" keeps it (later turns of the same
 * assistant). Prints mean and p99 in milliseconds per turn, and a checksum of every answer and
 * confidence so that a change of speed can be checked for a change of output.
 */
import { readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { chunkDocument } from "../workers/src/knowledge/chunker";
import { parseMarkdown } from "../workers/src/knowledge/parsers/markdown";
import type { Passage } from "../workers/src/llm/chat-model";
import { extractAnswer, noAnswerText } from "../workers/src/llm/extractive";
import * as textMemo from "../workers/src/llm/terms";
import { scoreConfidence } from "../workers/src/conversation/confidence";

const ROUNDS = Number(process.env.ROUNDS ?? 200);
const TOP = 5;

const docsDir = new URL("../seed/docs/", import.meta.url);
const chunks: Passage[] = [];
for (const file of readdirSync(docsDir).filter((f) => f.endsWith(".md")).sort()) {
  const source = readFileSync(new URL(file, docsDir), "utf8");
  const doc = parseMarkdown(source);
  const title = /^#\s+(.+)$/m.exec(source)?.[1] ?? file;
  for (const c of chunkDocument(doc)) {
    chunks.push({ chunk_id: `${file}#${c.ordinal}`, document_id: file, title, heading: c.heading, content: c.content, score: 0 });
  }
}
const questions: string[] = JSON.parse(readFileSync(new URL("../seed/questions.json", import.meta.url), "utf8")).questions.map(
  (q: { question: string }) => q.question,
);

// Stand-in retrieval, computed once outside the timing: term overlap, ties in document order.
const retrieved = questions.map((question) => {
  const asked = new Set(textMemo.terms(question));
  return chunks
    .map((c, i) => ({ c, i, hit: textMemo.terms(`${c.title} ${c.heading ?? ""} ${c.content}`).filter((t) => asked.has(t)).length }))
    .sort((a, b) => b.hit - a.hit || a.i - b.i)
    .slice(0, TOP)
    .map(({ c, hit }) => ({ ...c, score: hit }));
});

function turn(i: number): string {
  const question = questions[i]!;
  const passages = retrieved[i]!;
  const answer = extractAnswer(question, passages) ?? noAnswerText("en");
  return `${answer}\t${scoreConfidence({ question, answer, passages })}`;
}

function clearMemo(): void {
  const clear = (textMemo as { clearTextMemo?: () => void }).clearTextMemo;
  clear?.();
}

function run(cold: boolean): { mean: number; p99: number; checksum: string } {
  const times: number[] = [];
  const hash = createHash("sha256");
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < questions.length; i++) {
      if (cold) clearMemo();
      const start = performance.now();
      const out = turn(i);
      times.push(performance.now() - start);
      if (r === 0) hash.update(`${out}\n`);
    }
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { mean, p99: times[Math.floor(times.length * 0.99)]!, checksum: hash.digest("hex").slice(0, 16) };
}

for (let i = 0; i < questions.length; i++) turn(i); // warm up the JIT
for (const cold of [true, false]) {
  const { mean, p99, checksum } = run(cold);
  console.log(
    `${cold ? "cold" : "warm"}: ${questions.length} questions x ${ROUNDS} rounds, ${chunks.length} chunks, top ${TOP}: mean ${mean.toFixed(3)} ms/turn, p99 ${p99.toFixed(3)} ms; output ${checksum}`,
  );
}
