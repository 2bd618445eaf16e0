import { env, runInDurableObject } from "cloudflare:test";

/** Runs a read-only SQL query in an assistant's knowledge index object, bypassing its RPC methods. */
async function indexQuery<T extends Record<string, SqlStorageValue>>(assistantId: string, query: string, ...params: SqlStorageValue[]): Promise<T[]> {
  return runInDurableObject(env.KNOWLEDGE_INDEX.getByName(assistantId), async (_instance, state) => {
    const exists = state.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'chunks'").toArray().length > 0;
    return exists ? state.storage.sql.exec<T>(query, ...params).toArray() : [];
  });
}

/** Chunk ids the assistant's index holds for a document, in order. */
export async function indexedChunkIds(assistantId: string, documentId: string): Promise<string[]> {
  return (await indexQuery<{ id: string }>(assistantId, "SELECT id FROM chunks WHERE document_id = ? ORDER BY ord", documentId)).map((r) => r.id);
}

/** Rows in the index's chunks, FTS5 index (matching `term`, or all) and vectors. */
export async function indexRowCounts(assistantId: string, term?: string): Promise<{ chunks: number; fts: number; vectors: number }> {
  const one = async (q: string, ...p: SqlStorageValue[]) => (await indexQuery<{ n: number }>(assistantId, q, ...p))[0]?.n ?? 0;
  return {
    chunks: await one("SELECT count(*) AS n FROM chunks"),
    fts: term ? await one("SELECT count(*) AS n FROM chunks_fts WHERE chunks_fts MATCH ?", `"${term.replace(/"/g, '""')}"`) : await one("SELECT count(*) AS n FROM chunks_fts"),
    vectors: await one("SELECT count(*) AS n FROM chunk_vectors"),
  };
}
