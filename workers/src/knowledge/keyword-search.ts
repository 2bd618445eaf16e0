import { words } from "../llm/terms";
import type { SearchHit, SearchScope } from "./search";

/** Query terms passed to FTS5; more adds cost without changing the top results. */
const MAX_QUERY_TERMS = 32;
/** BM25 column weights: title, heading, content. A title match says most about a chunk. */
const BM25_WEIGHTS = "4.0, 2.0, 1.0";
const SNIPPET_TOKENS = 24;

/** An FTS5 MATCH expression that ORs the query's terms, each quoted so no syntax leaks in. */
export function ftsQuery(query: string): string | null {
  // Unstemmed: the FTS5 porter tokenizer stems query and index alike.
  const unique = [...new Set(words(query))].slice(0, MAX_QUERY_TERMS);
  if (unique.length === 0) return null;
  return unique.map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR ");
}

interface Row {
  chunk_id: string;
  document_id: string;
  title: string;
  content: string;
  source_url: string | null;
  snippet: string;
  rank: number;
}

/**
 * BM25 keyword search over the assistant's ready chunks (D1 FTS5), best first. Scores are
 * positive (higher is better) and comparable only within one query.
 */
export async function keywordSearch(db: D1Database, scope: SearchScope, query: string, k: number): Promise<SearchHit[]> {
  const match = ftsQuery(query);
  if (!match) return [];
  const { results } = await db
    .prepare(
      `select c.id as chunk_id, c.document_id, c.title, c.content, d.source_url,
              snippet(kb_chunks_fts, 2, '', '', '…', ${SNIPPET_TOKENS}) as snippet,
              bm25(kb_chunks_fts, ${BM25_WEIGHTS}) as rank
         from kb_chunks_fts
         join kb_chunks c on c.rowid = kb_chunks_fts.rowid
         join kb_documents d on d.id = c.document_id
        where kb_chunks_fts match ?1
          and c.workspace_id = ?2 and c.assistant_id = ?3
          and d.status = 'ready' and d.deleted_at is null
        order by rank
        limit ?4`,
    )
    .bind(match, scope.workspaceId, scope.assistantId, k)
    .all<Row>();
  return results.map((r) => ({
    chunk_id: r.chunk_id,
    document_id: r.document_id,
    title: r.title,
    content: r.content,
    snippet: r.snippet,
    source: r.source_url,
    score: -r.rank,
  }));
}
