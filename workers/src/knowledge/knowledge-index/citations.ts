import type { ScoredChunk } from "../retrieval/backend";
import type { SearchHit } from "../search";
import { chunked } from "../vector-store/limits";

/** Ids per `IN (…)` list: under the 100 bound parameters a Durable Object's SQLite allows. */
const IDS_PER_QUERY = 90;
/** Characters of a chunk shown as a citation's snippet. */
const SNIPPET_CHARS = 240;

type HitRow = { id: string; document_id: string; title: string; heading: string | null; content: string; source_url: string | null };

/** What a citation needs for each ranked chunk, in rank order, read from the index's `chunks`; unknown ids are skipped. */
export function citationsOf(sql: SqlStorage, ranked: readonly ScoredChunk[]): SearchHit[] {
  const rows = new Map<string, HitRow>();
  for (const part of chunked(ranked.map((r) => r.chunkId), IDS_PER_QUERY)) {
    const found = sql.exec<HitRow>(`SELECT id, document_id, title, heading, content, source_url FROM chunks WHERE id IN (${part.map(() => "?").join(", ")})`, ...part);
    for (const r of found) rows.set(r.id, r);
  }
  return ranked.flatMap((hit) => {
    const r = rows.get(hit.chunkId);
    return r
      ? [{ chunk_id: r.id, document_id: r.document_id, title: r.title, heading: r.heading, content: r.content, snippet: snippetOf(r.content), source: r.source_url, score: hit.score }]
      : [];
  });
}

function snippetOf(content: string): string {
  return content.length <= SNIPPET_CHARS ? content : `${content.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, "")}…`;
}
