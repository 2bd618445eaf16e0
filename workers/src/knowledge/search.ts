import { keywordSearch } from "./keyword-search";

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

/** Chunks returned for an answer (the spec's top 5). */
export const DEFAULT_TOP_K = 5;

/**
 * Searches an assistant's knowledge base. The one entry point the conversation engine and
 * the search API use, whatever retrieval runs behind it.
 */
export async function searchKnowledge(env: Env, scope: SearchScope, query: string, k = DEFAULT_TOP_K): Promise<SearchHit[]> {
  return keywordSearch(env.DB, scope, query, k);
}
