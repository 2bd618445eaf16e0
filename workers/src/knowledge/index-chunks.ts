import { newId } from "../lib/ids";
import { cachedEmbedderFor } from "./embeddings/cached-embedder-for";
import type { Chunk } from "./chunker";
import { createVectorStore } from "./vector-store/vector-store";

/** Chunk rows per INSERT: 10 bound columns × 9 rows stays under D1's 100 parameters per statement. */
const CHUNK_ROWS_PER_INSERT = 9;

/** Where a document's chunks belong. */
export interface ChunkOwner {
  workspaceId: string;
  assistantId: string;
  documentId: string;
  title: string;
}

/** The text embedded for a chunk: its document title and heading give short passages context. */
export function embeddingText(title: string, chunk: Pick<Chunk, "heading" | "content">): string {
  return [title, chunk.heading, chunk.content].filter(Boolean).join("\n");
}

async function chunkIdsOf(db: D1Database, documentId: string): Promise<string[]> {
  const { results } = await db.prepare("select id from kb_chunks where document_id = ?").bind(documentId).all<{ id: string }>();
  return results.map((r) => r.id);
}

function slices<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Replaces a document's chunks: embeds the new ones, swaps the keyword rows in one D1
 * transaction, upserts the new vectors and removes the old ones. Searches in between see
 * either version, never a mix of missing rows: vector hits without a D1 row are dropped.
 */
export async function indexChunks(env: Env, owner: ChunkOwner, chunks: (Chunk & { content_hash: string })[]): Promise<void> {
  const embedder = cachedEmbedderFor(env, owner.assistantId);
  const vectors = await embedder.embed(chunks.map((c) => embeddingText(owner.title, c)));
  const ids = chunks.map(() => newId("chunk"));
  const oldIds = await chunkIdsOf(env.DB, owner.documentId);

  const statements: D1PreparedStatement[] = [env.DB.prepare("delete from kb_chunks where document_id = ?").bind(owner.documentId)];
  for (const group of slices(chunks.map((c, i) => ({ c, id: ids[i]! })), CHUNK_ROWS_PER_INSERT)) {
    const placeholders = group.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
    statements.push(
      env.DB.prepare(
        `insert into kb_chunks (id, workspace_id, assistant_id, document_id, ordinal, title, heading, content, token_count, content_hash)
         values ${placeholders}`,
      ).bind(
        ...group.flatMap(({ c, id }) => [
          id,
          owner.workspaceId,
          owner.assistantId,
          owner.documentId,
          c.ordinal,
          owner.title,
          c.heading,
          c.content,
          c.token_count,
          c.content_hash,
        ]),
      ),
    );
  }
  await env.DB.batch(statements);

  const store = createVectorStore(env);
  await store.upsert(
    owner.assistantId,
    vectors.map((values, i) => ({
      id: ids[i]!,
      values,
      metadata: { document_id: owner.documentId, chunk_id: ids[i]!, workspace_id: owner.workspaceId },
    })),
  );
  if (oldIds.length > 0) await store.deleteByIds(owner.assistantId, oldIds);
}

/** Removes a document's chunks, keyword rows and vectors. */
export async function removeDocumentIndex(env: Env, workspaceId: string, assistantId: string, documentId: string): Promise<number> {
  const ids = await chunkIdsOf(env.DB, documentId);
  if (ids.length > 0) await createVectorStore(env).deleteByIds(assistantId, ids);
  await env.DB.prepare("delete from kb_chunks where document_id = ? and workspace_id = ?").bind(documentId, workspaceId).run();
  return ids.length;
}

/** Removes all of an assistant's knowledge from the index (chunks, keyword rows, vectors). */
export async function removeAssistantIndex(env: Env, workspaceId: string, assistantId: string): Promise<void> {
  const store = createVectorStore(env);
  if (store.deleteNamespace) {
    await store.deleteNamespace(assistantId);
  } else {
    const { results } = await env.DB.prepare("select id from kb_chunks where assistant_id = ? and workspace_id = ?")
      .bind(assistantId, workspaceId)
      .all<{ id: string }>();
    if (results.length > 0) await store.deleteByIds(assistantId, results.map((r) => r.id));
  }
  await env.DB.prepare("delete from kb_chunks where assistant_id = ? and workspace_id = ?").bind(assistantId, workspaceId).run();
}
