import { createLogger } from "../lib/logger";
import { cachedEmbedderFor } from "./embeddings/cached-embedder-for";
import { keywordSearch } from "./keyword-search";
import { createVectorStore } from "./vector-store/vector-store";

/** Whose knowledge to search: always one assistant of one workspace. */
export interface SearchScope {
  workspaceId: string;
  assistantId: string;
}

/** One retrieved chunk, with what a citation needs. */
export interface SearchHit {
  chunk_id: string;
  document_id: string;
  title: string;
  content: string;
  snippet: string;
  /** Link to the original (URL documents), or null. */
  source: string | null;
  /** Higher is better; comparable within one query. */
  score: number;
}

/** Which retrieval runs: both fused (the default), or one alone for comparison. */
export type SearchMode = "hybrid" | "keyword" | "vector";

/** Chunks returned for an answer (the spec's top 5). */
export const DEFAULT_TOP_K = 5;
/** Candidates each retriever contributes to the fusion: deep enough that a chunk ranked low by one and high by the other still surfaces. */
const CANDIDATES_PER_RETRIEVER = 20;
/** Reciprocal rank fusion's constant: 60, from the original paper; it damps the head of each list. */
const RRF_K = 60;
const SNIPPET_CHARS = 240;

interface ChunkRow {
  chunk_id: string;
  document_id: string;
  title: string;
  content: string;
  source_url: string | null;
}

function snippetOf(content: string): string {
  return content.length <= SNIPPET_CHARS ? content : `${content.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, "")}…`;
}

/** Vector kNN over the assistant's namespace, joined to live chunk rows of the same workspace. */
async function vectorSearch(env: Env, scope: SearchScope, query: string, k: number): Promise<SearchHit[]> {
  const [vector] = await cachedEmbedderFor(env).embed([query]);
  if (!vector || !vector.some((v) => v !== 0)) return [];
  const matches = (await createVectorStore(env).query(scope.assistantId, vector, { topK: k })).filter(
    (m) => m.metadata.workspace_id === scope.workspaceId,
  );
  if (matches.length === 0) return [];
  const placeholders = matches.map(() => "?").join(", ");
  // The unary `+` keeps SQLite from driving this by the (workspace, assistant) index, which it
  // otherwise picks: that reads every chunk of the assistant (O(chunks), ~10 ms at 10k) instead
  // of looking up the k ids by the unique index. The tenant checks still apply, as filters.
  const { results } = await env.DB.prepare(
    `select c.id as chunk_id, c.document_id, c.title, c.content, d.source_url
       from kb_chunks c join kb_documents d on d.id = c.document_id
      where c.id in (${placeholders}) and +c.workspace_id = ? and +c.assistant_id = ?
        and d.status = 'ready' and d.deleted_at is null`,
  )
    .bind(...matches.map((m) => m.id), scope.workspaceId, scope.assistantId)
    .all<ChunkRow>();
  const rows = new Map(results.map((r) => [r.chunk_id, r]));
  return matches.flatMap((m) => {
    const r = rows.get(m.id);
    return r
      ? [{ chunk_id: r.chunk_id, document_id: r.document_id, title: r.title, content: r.content, snippet: snippetOf(r.content), source: r.source_url, score: m.score }]
      : [];
  });
}

/**
 * Reciprocal rank fusion of ranked lists: each list adds 1 / (RRF_K + rank) to a chunk's score.
 * Equal scores are common (rank r in one list only, or ranks swapped between the lists); they
 * are ordered by the chunk's rank in the first list, then the second, and so on, so the order
 * of the lists (keyword first: exact-term evidence) decides, not the random chunk ids, and the
 * same knowledge base ingested twice ranks the same way.
 */
export function fuse(lists: SearchHit[][], k: number): SearchHit[] {
  const fused = new Map<string, { hit: SearchHit; score: number; ranks: number[] }>();
  lists.forEach((list, li) => {
    list.forEach((hit, rank) => {
      // The first list's copy of a hit is kept: pass keyword hits first, their snippets fit the query.
      const entry = fused.get(hit.chunk_id) ?? { hit, score: 0, ranks: lists.map(() => Number.POSITIVE_INFINITY) };
      entry.score += 1 / (RRF_K + rank + 1);
      entry.ranks[li] = Math.min(entry.ranks[li] ?? Number.POSITIVE_INFINITY, rank);
      fused.set(hit.chunk_id, entry);
    });
  });
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || byRanks(a.ranks, b.ranks) || a.hit.chunk_id.localeCompare(b.hit.chunk_id))
    .slice(0, k)
    .map(({ hit, score }) => ({ ...hit, score: Math.round(score * 1e6) / 1e6 }));
}

/** Lexicographic order of per-list ranks: the better rank in the earliest list that differs. */
function byRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? Number.POSITIVE_INFINITY;
    const y = b[i] ?? Number.POSITIVE_INFINITY;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * Searches an assistant's knowledge base: BM25 keyword search and vector kNN, fused. The one
 * entry point the conversation engine and the search API use. If the vector half fails (an
 * embedder misconfigured or down), answers come from keyword search alone rather than not at all.
 */
export async function searchKnowledge(
  env: Env,
  scope: SearchScope,
  query: string,
  k = DEFAULT_TOP_K,
  mode: SearchMode = "hybrid",
): Promise<SearchHit[]> {
  if (mode === "keyword") return keywordSearch(env.DB, scope, query, k);
  if (mode === "vector") return vectorSearch(env, scope, query, k);
  const [keyword, vector] = await Promise.all([
    keywordSearch(env.DB, scope, query, CANDIDATES_PER_RETRIEVER),
    vectorSearch(env, scope, query, CANDIDATES_PER_RETRIEVER).catch((err: unknown) => {
      createLogger({ component: "knowledge.search" }).warn("vector search failed; keyword only", { error: err });
      return [] as SearchHit[];
    }),
  ]);
  return fuse([keyword, vector], k);
}
