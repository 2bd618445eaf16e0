import { createLogger } from "../lib/logger";
import { currentTraceparent } from "../lib/trace-context";
import { cachedEmbedderFor } from "./embeddings/cached-embedder-for";
import { knowledgeIndex } from "./index-chunks";
import type { SearchHit } from "./knowledge-index/index-types";
import type { RetrieveRequest } from "./retrieval/backend";

/** Whose knowledge to search: always one assistant of one workspace. */
export interface SearchScope {
  workspaceId: string;
  assistantId: string;
}

/** One retrieved chunk, with what a citation needs (defined beside the index that returns it). */
export type { SearchHit } from "./knowledge-index/index-types";

/** Which retrieval runs: both fused (the default), or one alone for comparison. */
export type SearchMode = "hybrid" | "keyword" | "vector";

/** Chunks returned for an answer (the spec's top 5). */
export const DEFAULT_TOP_K = 5;

/** The embedded question, or null (and a warning) when the embedder fails: keyword search still answers. */
async function queryVectorOf(env: Env, query: string): Promise<number[] | null> {
  try {
    const [vector] = await cachedEmbedderFor(env).embed([query]);
    return vector && vector.some((v) => v !== 0) ? Array.from(vector) : null;
  } catch (err) {
    createLogger({ component: "knowledge.search" }).warn("query embedding failed; keyword only", { error: err });
    return null;
  }
}

/** What an answer retrieves: the hits, and the assistant's config version (knowledge-index/config-version.ts). */
export interface AnswerRetrieval {
  hits: SearchHit[];
  configVersion: string;
}

/**
 * `searchKnowledge` (hybrid, top `DEFAULT_TOP_K`) for a conversation's answer, which also learns
 * the assistant's config version in the same call to the index.
 */
export async function searchForAnswer(env: Env, scope: SearchScope, query: string): Promise<AnswerRetrieval> {
  const queryVector = await queryVectorOf(env, query);
  return (await knowledgeIndex(env, scope)).searchForAnswer(scope, { query, mode: "hybrid", k: DEFAULT_TOP_K, queryVector }, currentTraceparent());
}

/**
 * Searches an assistant's knowledge base: BM25F keyword search and vector kNN, ranked by
 * `retrieve` (retrieval/pipeline.ts) inside the assistant's `KnowledgeIndexDO`. The one entry
 * point the conversation engine and the search API use. If the vector half fails (an embedder misconfigured or down), answers come from
 * keyword search alone rather than not at all.
 */
export async function searchKnowledge(
  env: Env,
  scope: SearchScope,
  query: string,
  k = DEFAULT_TOP_K,
  mode: SearchMode = "hybrid",
): Promise<SearchHit[]> {
  const request = await searchRequest(env, query, k, mode);
  return request ? searchKnowledgeWith(env, scope, request) : [];
}

/** `searchKnowledge` with the request `searchRequest` made. */
export async function searchKnowledgeWith(env: Env, scope: SearchScope, request: RetrieveRequest): Promise<SearchHit[]> {
  // One call: the assistant's index ranks with `retrieve` against its own keyword index and
  // vectors, reranks when configured, and falls back to keywords if Vectorize fails.
  return (await knowledgeIndex(env, scope)).search(scope, request);
}

/**
 * `searchKnowledge` for a caller still checking that `scope.workspaceId` owns the assistant, with
 * the request `searchRequest` made: null, with nothing claimed or imported, unless the
 * assistant's index already belongs to that workspace (see `KnowledgeIndexDO.searchIfClaimed`).
 * Its hits mean nothing until the check passes.
 */
export async function searchKnowledgeIfClaimed(env: Env, scope: SearchScope, request: RetrieveRequest): Promise<SearchHit[] | null> {
  return (await knowledgeIndex(env, scope)).searchIfClaimed(scope, request);
}

/** The index's request for a search, with the embedded question; null when a vector search has no vector (nothing to find). */
export async function searchRequest(env: Env, query: string, k: number, mode: SearchMode): Promise<RetrieveRequest | null> {
  const queryVector = mode === "keyword" ? null : await queryVectorOf(env, query);
  if (mode === "vector" && !queryVector) return null;
  return { query, mode, k, queryVector };
}
