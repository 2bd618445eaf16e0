/**
 * What a citation needs for each ranked chunk of a knowledge index's search: title, heading,
 * content, a snippet and where it came from, read from the index in rank order.
 */
import type { ScoredChunk } from "../retrieval/backend";
import { chunked } from "../../lib/chunked";
import { IDS_PER_QUERY } from "./chunk-rows";
import type { SearchHit } from "./index-types";

/** Longest snippet shown with a citation, in characters (cut at a word). */
const SNIPPET_CHARS = 240;

type HitRow = { id: string; document_id: string; title: string; heading: string | null; content: string; source_url: string | null };

/** The hits of ranked chunks, in rank order; chunks no longer in the index are left out. */
export function hits(sql: SqlStorage, ranked: ScoredChunk[]): SearchHit[] {
  const rows = new Map<string, HitRow>();
  for (const part of chunked(ranked.map((r) => r.chunkId), IDS_PER_QUERY)) {
    const found = sql.exec<HitRow>(
      `SELECT id, document_id, title, heading, content, source_url FROM chunks WHERE id IN (${part.map(() => "?").join(", ")})`,
      ...part,
    );
    for (const r of found) rows.set(r.id, r);
  }
  return ranked.flatMap((hit) => {
    const r = rows.get(hit.chunkId);
    return r
      ? [{ chunk_id: r.id, document_id: r.document_id, title: r.title, heading: r.heading, content: r.content, snippet: snippetOf(r.content), source: r.source_url, score: hit.score }]
      : [];
  });
}

/** The start of a chunk's content, cut at a word. */
export function snippetOf(content: string): string {
  return content.length <= SNIPPET_CHARS ? content : `${content.slice(0, SNIPPET_CHARS).replace(/\s+\S*$/, "")}…`;
}
