import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AiRunner } from "../src/llm/workers-ai";
import { SqliteRetrievalBackend } from "../src/knowledge/knowledge-index/sqlite-backend";
import type { KnowledgeIndexDO } from "../src/knowledge/knowledge-index/knowledge-index-do";
import type { RetrieveRequest } from "../src/knowledge/retrieval/backend";
import { RETRIEVAL_DEFAULTS, retrieve, type RetrievalOptions, type RetrieveExtras } from "../src/knowledge/retrieval/pipeline";
import { WorkersAIReranker } from "../src/knowledge/retrieval/workers-ai-reranker";
import { call, createAssistant, signUp } from "./helpers";

/** Adds `{title, content}` documents and waits until every one is ready; returns their ids in order. */
async function addDocuments(token: string, assistantId: string, docs: { title: string; content: string }[]): Promise<string[]> {
  const ids: string[] = [];
  for (const doc of docs) {
    const created = await call("POST", `/api/v1/assistants/${assistantId}/documents`, { token, body: doc });
    expect(created.status).toBe(202);
    ids.push(created.body.id as string);
  }
  const deadline = Date.now() + 20_000;
  for (const id of ids) {
    for (;;) {
      const res = await call("GET", `/api/v1/documents/${id}`, { token });
      if (res.body.status === "ready") break;
      if (res.body.status === "failed" || Date.now() > deadline) throw new Error(`document ${id}: ${res.body.status} ${res.body.error}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
  return ids;
}

async function setup() {
  const s = await signUp("Retrieval");
  const assistant = await createAssistant(s.access_token);
  return { token: s.access_token as string, assistantId: assistant.id as string };
}

/** Runs the ranking strategy inside the assistant's knowledge index object, over its own SQLite (keyword leg only). */
async function retrieveInIndex(assistantId: string, request: RetrieveRequest, extras: RetrieveExtras = {}) {
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance, state) =>
    retrieve(new SqliteRetrievalBackend(state.storage.sql, async () => []), request, extras),
  );
}

const search = async (token: string, assistantId: string, q: string, mode = "hybrid", k = 5) => {
  const res = await call("GET", `/api/v1/assistants/${assistantId}/search?${new URLSearchParams({ q, mode, k: String(k) })}`, { token });
  expect(res.status).toBe(200);
  return res.body.data as { document_id: string; chunk_id: string; score: number }[];
};

/** A long article: many paragraphs that all mention delivery, so it splits into several chunks. */
const LONG_ARTICLE = Array.from(
  { length: 40 },
  (_, i) =>
    `Paragraph ${i + 1} about our delivery network: parcels travel by van and by rail, every depot scans each parcel twice, and drivers confirm delivery with a photo at the door so that nothing goes missing on the way.`,
).join("\n\n");

describe("retrieval ranking", () => {
  it("keeps question words that carry meaning: 'how long does it take' finds the answer", async () => {
    const { token, assistantId } = await setup();
    const [timing, countries] = await addDocuments(token, assistantId, [
      { title: "How long does shipping take?", content: "Parcels arrive within three to five working days." },
      { title: "Shipping countries", content: "We ship to every country of the European Union and to Switzerland." },
    ]);
    // With a stopword list that drops "how", "long", "does", "it", "take", nothing is left to match.
    for (const mode of ["hybrid", "keyword"]) {
      const hits = await search(token, assistantId, "how long does it take", mode);
      expect(hits[0]?.document_id).toBe(timing);
      expect(hits.map((h) => h.document_id)).not.toContain(undefined);
    }
    expect((await search(token, assistantId, "which countries")).at(0)?.document_id).toBe(countries);
  });

  it("counts a document split into many chunks once, so shorter answers are not crowded out", async () => {
    const { token, assistantId } = await setup();
    const [long, courier, tracking] = await addDocuments(token, assistantId, [
      { title: "Our delivery network", content: LONG_ARTICLE },
      { title: "Courier options", content: "Choose standard or express delivery at checkout; express parcels arrive the next day." },
      { title: "Tracking a parcel", content: "Every parcel gets a tracking link by email once it leaves the depot." },
    ]);
    const doc = await call("GET", `/api/v1/documents/${long}`, { token });
    expect(doc.body.chunk_count).toBeGreaterThan(3);
    for (const mode of ["hybrid", "keyword", "vector"]) {
      const hits = await search(token, assistantId, "parcel delivery", mode, 3);
      expect(hits).toHaveLength(3);
      expect(new Set(hits.map((h) => h.document_id))).toEqual(new Set([long, courier, tracking]));
    }
    // With more room than documents, the long article's further chunks follow the three documents.
    const wide = await search(token, assistantId, "parcel delivery", "keyword", 5);
    expect(wide.slice(0, 3).map((h) => h.document_id).sort()).toEqual([long, courier, tracking].sort());
    expect(wide.slice(3).every((h) => h.document_id === long)).toBe(true);
    expect(new Set(wide.map((h) => h.chunk_id)).size).toBe(wide.length);
  });

  it("ranks the document whose title is the question above one that only repeats its words", async () => {
    const { token, assistantId } = await setup();
    const [titled, wordy] = await addDocuments(token, assistantId, [
      { title: "Change my email address", content: "Open Settings, then Account, and enter the new one. We send a confirmation link." },
      {
        title: "Newsletter",
        content: "Our newsletter goes to your email address every month. Unsubscribe from any email. The email address we use is the one you gave at sign-up; email us to change the frequency.",
      },
    ]);
    for (const mode of ["hybrid", "keyword"]) {
      const hits = await search(token, assistantId, "how can I change the email address", mode);
      expect(hits.map((h) => h.document_id)).toEqual([titled, wordy]);
      expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);
    }
  });

  it("answers a question of nothing but punctuation or unknown words with no hits, not an error", async () => {
    const { token, assistantId } = await setup();
    await addDocuments(token, assistantId, [{ title: "Opening hours", content: "We are open Monday to Friday." }]);
    expect(await search(token, assistantId, "?!", "hybrid")).toEqual([]);
    expect(await search(token, assistantId, "\"OR\" NEAR(a b) *", "keyword")).toEqual([]);
    expect(await search(token, assistantId, "zebra quantum", "keyword")).toEqual([]);
  });

  it("lets a reranker reorder the first pass, and keeps the first-pass order when it fails", async () => {
    const { token, assistantId } = await setup();
    const [standard, express, tracking] = await addDocuments(token, assistantId, [
      { title: "Delivery times", content: "Standard delivery takes three to five working days; delivery is free over 50 euros." },
      { title: "Express", content: "Next-day delivery is available at checkout." },
      { title: "Tracking", content: "Each delivery gets a tracking link." },
    ]);
    const request: RetrieveRequest = { query: "delivery next day", mode: "keyword", k: 3, queryVector: null };
    const first = (await retrieveInIndex(assistantId, request)).map((h) => h.documentId);
    expect(first).toHaveLength(3);
    expect(new Set(first)).toEqual(new Set([standard, express, tracking]));

    // Speaks bge-reranker-base's wire format; prefers the passage about tracking, then express.
    const seen: { query: unknown; contexts: unknown }[] = [];
    const ai: AiRunner = {
      async run(_model, inputs) {
        seen.push({ query: inputs.query, contexts: inputs.contexts });
        const contexts = inputs.contexts as { text: string }[];
        const score = (t: string) => (t.startsWith("Tracking") ? 0.9 : t.startsWith("Express") ? 0.5 : 0.1);
        return { response: contexts.map((c, id) => ({ id, score: score(c.text) })).reverse() };
      },
    };
    const reranked = await retrieveInIndex(assistantId, request, { reranker: new WorkersAIReranker({ ai }) });
    expect(reranked.map((h) => h.documentId)).toEqual([tracking, express, standard]);
    expect(reranked.map((h) => h.score)).toEqual([0.9, 0.5, 0.1]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.query).toBe("delivery next day");
    expect((seen[0]?.contexts as { text: string }[]).map((c) => c.text.split("\n")[0]).sort()).toEqual(["Delivery times", "Express", "Tracking"]);

    const errors: unknown[] = [];
    const down: AiRunner = {
      run: async () => {
        throw new Error("AiError: 3040: Capacity temporarily exceeded");
      },
    };
    const fallback = await retrieveInIndex(assistantId, request, { reranker: new WorkersAIReranker({ ai: down }), onRerankError: (e) => errors.push(e) });
    expect(fallback.map((h) => h.documentId)).toEqual(first);
    expect(errors).toHaveLength(1);
    // Vector mode is never reranked: no call, no error.
    await retrieveInIndex(assistantId, { ...request, mode: "vector", queryVector: null }, { reranker: new WorkersAIReranker({ ai: down }), onRerankError: (e) => errors.push(e) });
    expect(errors).toHaveLength(1);
  });
});

/** The keyword index as the object has it, recording every `MATCH` it runs; `prune: false` reports no term as common. */
class RecordingBackend extends SqliteRetrievalBackend {
  readonly matches: string[] = [];
  constructor(sql: SqlStorage, private readonly prune: boolean) {
    super(sql, async () => []);
  }
  override async keyword(match: string, weights: readonly number[], limit: number) {
    this.matches.push(match);
    return super.keyword(match, weights, limit);
  }
  override async termCounts(terms: readonly string[]) {
    const counts = await super.termCounts(terms);
    return this.prune ? counts : { chunks: counts.chunks, matching: terms.map(() => 0) };
  }
}

/** The keyword ranking of `query` with and without leaving out common terms, and the `MATCH`es each ran. */
async function bothWays(assistantId: string, query: string, options: RetrievalOptions = RETRIEVAL_DEFAULTS) {
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance, state) => {
    const request: RetrieveRequest = { query, mode: "keyword", k: 5, queryVector: null };
    const pruned = new RecordingBackend(state.storage.sql, true);
    const full = new RecordingBackend(state.storage.sql, false);
    return {
      pruned: await retrieve(pruned, request, { options }),
      full: await retrieve(full, request, { options }),
      prunedMatches: pruned.matches,
      fullMatches: full.matches,
    };
  });
}

/** Ten one-chunk documents that all say "parcel"; "voucher" is in four, "zeppelin" in one. */
const PARCEL_DOCS = Array.from({ length: 10 }, (_, i) => ({
  title: `Parcel note ${i + 1}`,
  content: [
    `Every parcel is handled with care at depot ${i + 1}.`,
    i < 4 ? `A voucher covers ${"the voucher ".repeat(i)}return postage for this parcel.` : "Return postage is paid by the sender.",
    i === 7 ? "Oversized items travel by zeppelin." : "",
  ].join(" "),
}));

describe("keyword search leaves out terms too common to score", () => {
  it("ranks a query mixing a word in every chunk with a rare one exactly as the full query, without matching the common word", async () => {
    const { token, assistantId } = await setup();
    await addDocuments(token, assistantId, PARCEL_DOCS);
    // Three candidates, so the four "voucher" chunks fill them and the shorter expression is used.
    const { pruned, full, prunedMatches, fullMatches } = await bothWays(assistantId, "parcel voucher", { ...RETRIEVAL_DEFAULTS, candidates: 3 });
    expect(fullMatches).toEqual(['"parcel" OR "voucher"']);
    expect(prunedMatches).toEqual(['"voucher"']);
    expect(pruned).toHaveLength(3);
    expect(pruned.map((h) => h.chunkId)).toEqual(full.map((h) => h.chunkId));
    pruned.forEach((h, i) => expect(h.score).toBeCloseTo(full[i]!.score, 4));
  });

  it("falls back to the full query when the rare word fills fewer candidates, so chunks with only the common word still follow", async () => {
    const { token, assistantId } = await setup();
    await addDocuments(token, assistantId, PARCEL_DOCS);
    const { pruned, full, prunedMatches } = await bothWays(assistantId, "zeppelin parcel");
    expect(prunedMatches).toEqual(['"zeppelin"', '"zeppelin" OR "parcel"']);
    expect(pruned).toHaveLength(5);
    expect(pruned.map((h) => h.chunkId)).toEqual(full.map((h) => h.chunkId));
    pruned.forEach((h, i) => expect(h.score).toBeCloseTo(full[i]!.score, 4));
  });

  it("still answers a question of only very common words", async () => {
    const { token, assistantId } = await setup();
    await addDocuments(token, assistantId, PARCEL_DOCS);
    const common = await bothWays(assistantId, "every parcel", { ...RETRIEVAL_DEFAULTS, candidates: 3 });
    expect(common.prunedMatches).toEqual(['"every"']);
    expect(common.pruned).toHaveLength(3);
    expect((await search(token, assistantId, "every parcel", "keyword")).length).toBeGreaterThan(0);
  });

  it("recounts after the index changes: a word that stopped being common is matched again", async () => {
    const name = `term-counts-${crypto.randomUUID()}`;
    const scope = { workspaceId: "ws-term-counts", assistantId: name };
    const chunksOf = (documentId: string, texts: string[]) =>
      texts.map((content, i) => ({ id: `${documentId}-${i}`, ordinal: i, heading: null, content, contentHash: `${documentId}-${i}`, tokenCount: 10, vector: null }));
    const request: RetrieveRequest = { query: "parcel voucher", mode: "keyword", k: 5, queryVector: null };
    const result = await runInDurableObject(env.KNOWLEDGE_INDEX.getByName(name), async (instance: KnowledgeIndexDO, state) => {
      // 70 chunks say "parcel" (all of them: common), 33 of them "voucher" (under half).
      const parcels = Array.from({ length: 70 }, (_, i) => `Parcel ${i} left the depot${i < 33 ? `, a voucher ${"pays ".repeat(i % 5)}its postage` : ""}.`);
      await instance.replaceDocument(scope, { documentId: "parcels", title: "Parcels", sourceUrl: null }, chunksOf("parcels", parcels));
      const before = await instance.search(scope, request);
      // 80 more chunks without "parcel": now in 70 of 150, it has an IDF again.
      const hours = Array.from({ length: 80 }, (_, i) => `Shop ${i} opens at nine and closes at six.`);
      await instance.replaceDocument(scope, { documentId: "hours", title: "Opening hours", sourceUrl: null }, chunksOf("hours", hours));
      const after = await instance.search(scope, request);
      const full = new RecordingBackend(state.storage.sql, false);
      const fresh = new RecordingBackend(state.storage.sql, true);
      return { before, after, full: await retrieve(full, request), freshMatches: (await retrieve(fresh, request), fresh.matches) };
    });
    expect(result.before).toHaveLength(5);
    // "parcel" counts again: scored with the chunks that hold the rarer "voucher" (see below).
    expect(result.freshMatches).toEqual(['"voucher"', '("voucher") AND ("parcel")']);
    expect(result.after.map((h) => [h.chunk_id, h.score])).toEqual(result.full.map((h) => [h.chunkId, h.score]));
  });
});

/**
 * Runs `run` on a new index of one document of 200 short chunks: "voucher" in 8 (4 of them with
 * "postage" too), "postage" in 80 (under half: it scores), "depot" in all; with
 * `postageHeadings`, 10 of the "postage" chunks have it in their heading too.
 */
async function inDepotIndex<T>({ postageHeadings }: { postageHeadings: boolean }, run: (sql: SqlStorage) => Promise<T>): Promise<T> {
  const name = `depot-${crypto.randomUUID()}`;
  const scope = { workspaceId: "ws-depot", assistantId: name };
  const chunks = Array.from({ length: 200 }, (_, i) => ({
    id: `c-${i}`,
    ordinal: i,
    heading: postageHeadings ? (i % 20 === 0 ? `Postage rates ${i}` : `Section ${i}`) : null,
    content: [`Depot ${i} ships daily.`, i % 25 === 3 ? `A voucher ${"voucher ".repeat(i % 3)}helps.` : "", i % 10 < 4 ? `Postage ${"postage ".repeat(i % 4)}is due.` : ""].join(" "),
    contentHash: `h-${i}`,
    tokenCount: 8,
    vector: null,
  }));
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(name), async (instance: KnowledgeIndexDO, state) => {
    await instance.replaceDocument(scope, { documentId: "notes", title: "Notes", sourceUrl: null }, chunks);
    return run(state.storage.sql);
  });
}

describe("keyword search past its row budget", () => {
  async function ranked(query: string, options: RetrievalOptions) {
    return inDepotIndex({ postageHeadings: true }, async (sql) => {
      const request: RetrieveRequest = { query, mode: "keyword", k: options.candidates, queryVector: null };
      const budgeted = new RecordingBackend(sql, true);
      const exact = new RecordingBackend(sql, true);
      return {
        hits: await retrieve(budgeted, request, { options }),
        matches: budgeted.matches,
        exact: await retrieve(exact, request, { options: { ...options, keywordRowBudget: Infinity } }),
        exactMatches: exact.matches,
      };
    });
  }

  it("finds nothing for a question whose every word is in at least half of the chunks, rather than ranking them by noise", async () => {
    const { hits, matches, exact } = await ranked("depot daily", { ...RETRIEVAL_DEFAULTS, candidates: 5, keywordRowBudget: 150 });
    expect(matches).toEqual([]);
    expect(hits).toEqual([]);
    // Within the budget the same question is ranked as ever.
    expect(exact).toHaveLength(5);
  });

  it("ranks a word in more chunks than the budget among the chunks with it in their title or heading", async () => {
    const { hits, matches, exact, exactMatches } = await ranked("postage", { ...RETRIEVAL_DEFAULTS, candidates: 5, keywordRowBudget: 50 });
    expect(matches).toEqual(['{title heading} : ("postage")']);
    expect(hits).toHaveLength(5);
    // The headings' chunks are the best ones anyway: the heading weighs four times the content.
    expect(hits.map((h) => h.chunkId).sort()).toEqual(exact.map((h) => h.chunkId).sort());
    expect(exactMatches).toEqual(['"postage"']);
  });

  it("falls back to the whole query when too few titles or headings hold the word", async () => {
    const { hits, matches, exact } = await ranked("postage", { ...RETRIEVAL_DEFAULTS, candidates: 12, keywordRowBudget: 50 });
    expect(matches).toEqual(['{title heading} : ("postage")', '"postage"']);
    expect(hits.map((h) => h.chunkId)).toEqual(exact.map((h) => h.chunkId));
  });

  it("tries no split, and runs no full query, that would read past what is left of the budget", async () => {
    // "voucher" (8 chunks) is read alone and with "postage"; the full query would read 88 more rows.
    const { hits, matches, exactMatches } = await ranked("voucher postage", { ...RETRIEVAL_DEFAULTS, candidates: 12, keywordRowBudget: 30 });
    expect(matches).toEqual(['"voucher"', '("voucher") AND ("postage")']);
    expect(exactMatches).toEqual(['"voucher"', '("voucher") AND ("postage")', '"voucher" OR "postage"']);
    // Every chunk with the rarer word is found, with its whole score.
    expect(hits).toHaveLength(8);
  });
});

describe("keyword search reads the rare terms first (MaxScore)", () => {
  async function ranked(query: string, candidates: number) {
    return inDepotIndex({ postageHeadings: false }, async (sql) => {
      const request: RetrieveRequest = { query, mode: "keyword", k: candidates, queryVector: null };
      const options = { ...RETRIEVAL_DEFAULTS, candidates };
      const split = new RecordingBackend(sql, true);
      const full = new RecordingBackend(sql, false);
      const reference = await full.keyword('"voucher" OR "postage"', options.keywordWeights, candidates);
      return { split: await retrieve(split, request, { options }), matches: split.matches, reference };
    });
  }

  it("scores the chunks with the rare word in full and stops when no chunk without it can catch up", async () => {
    const { split, matches, reference } = await ranked("voucher postage", 4);
    expect(matches).toEqual(['"voucher"', '("voucher") AND ("postage")']);
    // One document: its chunks come out in the keyword leg's order, each with the document's score.
    expect(reference).toHaveLength(4);
    expect(split.map((c) => c.chunkId)).toEqual(reference.map((c) => c.chunkId));
    expect(split[0]!.score).toBeCloseTo(reference[0]!.score, 5);
  });

  it("falls back to the whole query when the rare word's chunks cannot fill the candidates", async () => {
    const { matches } = await ranked("voucher postage", 12);
    expect(matches).toEqual(['"voucher"', '("voucher") AND ("postage")', '"voucher" OR "postage"']);
  });
});
