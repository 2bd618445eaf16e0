/**
 * Moving an assistant's knowledge out of the former shared D1 index (`kb_chunks` and its FTS5
 * table `kb_chunks_fts`, vectors of the `local` store in `LocalVectorIndexDO`) into its own
 * `KnowledgeIndexDO`. A D1 migration cannot write into Durable Objects, so each index does it on
 * its first use: page by page (a cursor in the index survives an interruption), then the D1 rows
 * are deleted. With Vectorize the vectors already sit under the assistant's namespace with the
 * chunk ids, which do not change, so only the rows move. The D1 tables stay until a later
 * migration drops them, once every assistant has been opened (or swept by an admin step).
 */
import type { IndexScope } from "./index-types";
import type { VectorStore } from "../vector-store/vector-store";
import { workspacePlace } from "../../storage/data-region";

/** Rows read from D1 per page: ~0.5 MB of text and, with local vectors, ~1.2 MB over RPC. */
const LEGACY_PAGE_ROWS = 200;
/** Rows deleted from D1 per statement (ids in an `in (…)` list: D1 binds at most 100 parameters). */
const IDS_PER_STATEMENT = 90;

/** One chunk of the former index, with its vector when the local store had one. */
export interface LegacyChunk {
  id: string;
  documentId: string;
  ordinal: number;
  title: string;
  heading: string | null;
  content: string;
  contentHash: string;
  tokenCount: number;
  sourceUrl: string | null;
  vector: Float32Array | null;
}

/** Where the import writes: `write` stores a page and the D1 row id it reached, in one transaction. */
export interface LegacySink {
  cursor: number;
  write(rows: LegacyChunk[], cursor: number): void;
}

type LegacyRow = {
  rowid: number;
  id: string;
  document_id: string;
  ordinal: number;
  title: string;
  heading: string | null;
  content: string;
  content_hash: string;
  token_count: number;
  source_url: string | null;
};

function usesLocalVectors(env: Env): boolean {
  return (env.VECTOR_STORE?.trim() || "local").toLowerCase() === "local";
}

/**
 * Copies the assistant's chunks of live documents (and their local vectors) from D1 into `sink`,
 * then deletes the assistant's rows from `kb_chunks` (the FTS5 rows go with them) and the copied
 * vectors from `LocalVectorIndexDO` (its embedding cache stays). Returns the chunks copied.
 */
export async function importLegacyChunks(env: Env, scope: IndexScope, sink: LegacySink): Promise<number> {
  const local = usesLocalVectors(env) ? (await workspacePlace(env, scope.workspaceId)).vectors.getByName(scope.assistantId) : null;
  let cursor = sink.cursor;
  let moved = 0;
  for (;;) {
    const { results } = await env.DB.prepare(
      `select c.rowid as rowid, c.id, c.document_id, c.ordinal, c.title, c.heading, c.content, c.content_hash, c.token_count, d.source_url
         from kb_chunks c join kb_documents d on d.id = c.document_id
        where c.workspace_id = ?1 and c.assistant_id = ?2 and c.rowid > ?3 and d.deleted_at is null
        order by c.rowid
        limit ?4`,
    )
      .bind(scope.workspaceId, scope.assistantId, cursor, LEGACY_PAGE_ROWS)
      .all<LegacyRow>();
    if (results.length === 0) break;
    const vectors = local ? new Map((await local.getVectors(results.map((r) => r.id))).map((v) => [v.id, v.values])) : new Map<string, Float32Array>();
    cursor = results[results.length - 1]!.rowid;
    sink.write(
      results.map((r) => ({
        id: r.id,
        documentId: r.document_id,
        ordinal: r.ordinal,
        title: r.title,
        heading: r.heading,
        content: r.content,
        contentHash: r.content_hash,
        tokenCount: r.token_count,
        sourceUrl: r.source_url,
        vector: vectors.get(r.id) ?? null,
      })),
      cursor,
    );
    if (local && vectors.size > 0) await local.deleteByIds([...vectors.keys()]);
    moved += results.length;
    if (results.length < LEGACY_PAGE_ROWS) break;
  }
  // What is left: chunks of deleted documents, and the rows just copied.
  await deleteLegacyRows(env, scope, local ? (ids) => local.deleteByIds(ids).then(() => undefined) : null);
  return moved;
}

/**
 * Deletes the assistant's rows of the former shared index without moving them (the assistant
 * or its workspace is being erased), and their vectors in Vectorize when that is the store.
 */
export async function removeLegacyChunks(env: Env, scope: IndexScope, vectorize: VectorStore | null): Promise<void> {
  await deleteLegacyRows(env, scope, vectorize ? (ids) => vectorize.deleteByIds(scope.assistantId, ids) : null);
}

/** Deletes the assistant's `kb_chunks` rows (the FTS5 rows go with them), telling `deleteVectors` their ids first. */
async function deleteLegacyRows(env: Env, scope: IndexScope, deleteVectors: ((ids: string[]) => Promise<void>) | null): Promise<void> {
  for (;;) {
    const { results } = await env.DB.prepare("select id from kb_chunks where workspace_id = ? and assistant_id = ? limit ?")
      .bind(scope.workspaceId, scope.assistantId, IDS_PER_STATEMENT)
      .all<{ id: string }>();
    if (results.length === 0) break;
    const ids = results.map((r) => r.id);
    if (deleteVectors) await deleteVectors(ids);
    await env.DB.prepare(`delete from kb_chunks where id in (${ids.map(() => "?").join(", ")})`)
      .bind(...ids)
      .run();
  }
}
