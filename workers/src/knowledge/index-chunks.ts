import { chunked } from "../lib/chunked";
import { workspacePlace, type NamedObjects, type PlaceEnv } from "../storage/data-region";
import type { LocalVectorIndexDO } from "./local-vector-index-do";
import { newId } from "../lib/ids";
import { cachedEmbedderFor } from "./embeddings/cached-embedder-for";
import type { Chunk } from "./chunker";
import type { ChunkInput, IndexScope } from "./knowledge-index/index-types";
import { refreshPhrasingVectors } from "./phrasing-vectors";
import { createVectorStore } from "./vector-store/create-vector-store";

/**
 * Chunks sent to the knowledge index per call: 500 × (6 KB of float32 vector + ~3 KB of text) is
 * ~4.5 MB, far under the 32 MiB an RPC message may carry. Larger documents are staged in parts
 * and swapped in by the last call.
 */
const CHUNKS_PER_CALL = 500;

/** Where a document's chunks belong. */
export interface ChunkOwner {
  workspaceId: string;
  assistantId: string;
  documentId: string;
  title: string;
  /** Link to the original (URL documents), shown with citations. */
  sourceUrl?: string | null;
}

/** The text embedded for a chunk: its document title and heading give short passages context. */
export function embeddingText(title: string, chunk: Pick<Chunk, "heading" | "content">): string {
  return [title, chunk.heading, chunk.content].filter(Boolean).join("\n");
}

/** The assistant's knowledge index (one Durable Object per assistant, named by its id), in its workspace's data region. */
export async function knowledgeIndex(env: PlaceEnv, scope: { workspaceId: string; assistantId: string }) {
  return (await workspacePlace(env, scope.workspaceId)).knowledge.getByName(scope.assistantId);
}

/** `env` with `VECTOR_INDEX` narrowed to the workspace's vector objects, for the vector store and embedding caches. */
export async function withWorkspaceVectors<E extends PlaceEnv>(env: E, workspaceId: string): Promise<E & { VECTOR_INDEX: NamedObjects<LocalVectorIndexDO> }> {
  return { ...env, VECTOR_INDEX: (await workspacePlace(env, workspaceId)).vectors };
}

/**
 * Replaces a document's chunks: embeds the new ones and swaps them into the assistant's
 * knowledge index in one transaction there, so searches see either version, never a mix; then
 * embeds the document's learned phrasings again with its new text. Returns how many chunks the
 * index holds for the document after the swap.
 */
export async function indexChunks(env: Env, owner: ChunkOwner, chunks: (Chunk & { content_hash: string })[]): Promise<number> {
  const embedder = cachedEmbedderFor(await withWorkspaceVectors(env, owner.workspaceId), owner.assistantId);
  const vectors = await embedder.embed(chunks.map((c) => embeddingText(owner.title, c)));
  const inputs: ChunkInput[] = chunks.map((c, i) => ({
    id: newId("chunk"),
    ordinal: c.ordinal,
    heading: c.heading,
    content: c.content,
    contentHash: c.content_hash,
    tokenCount: c.token_count,
    vector: vectors[i] ?? null,
  }));
  const held = await writeDocument(env, owner, inputs);
  // The document's learned phrasings are embedded with its head: they follow its new text.
  const first = [...chunks].sort((a, b) => a.ordinal - b.ordinal)[0] ?? null;
  await refreshPhrasingVectors(await knowledgeIndex(env, owner), embedder, { workspaceId: owner.workspaceId, assistantId: owner.assistantId }, {
    documentId: owner.documentId,
    title: owner.title,
    head: first,
  });
  return held;
}

/** Sends a document's chunks to its index: in one call, or staged in parts and swapped in by the last. */
export async function writeDocument(env: PlaceEnv, owner: ChunkOwner, chunks: ChunkInput[]): Promise<number> {
  const scope: IndexScope = { workspaceId: owner.workspaceId, assistantId: owner.assistantId };
  const document = { documentId: owner.documentId, title: owner.title, sourceUrl: owner.sourceUrl ?? null };
  const index = await knowledgeIndex(env, owner);
  if (chunks.length <= CHUNKS_PER_CALL) return index.replaceDocument(scope, document, chunks);
  const stagingId = crypto.randomUUID();
  const parts = chunked(chunks, CHUNKS_PER_CALL);
  const lastPart = parts.pop() ?? [];
  for (const part of parts) await index.stageChunks(scope, stagingId, document, part);
  return index.replaceDocument(scope, document, lastPart, stagingId);
}

/** Removes a document's chunks, keyword rows and vectors from its assistant's index. */
export async function removeDocumentIndex(env: Env, workspaceId: string, assistantId: string, documentId: string): Promise<number> {
  return (await knowledgeIndex(env, { workspaceId, assistantId })).deleteDocument({ workspaceId, assistantId }, documentId);
}

/**
 * Removes all of an assistant's knowledge from the index: its knowledge index object (chunks,
 * keyword rows, vectors, rows left in the former shared D1 index) and, with the local store, the
 * assistant's `LocalVectorIndexDO` (embedding cache, vectors not yet moved).
 */
export async function removeAssistantIndex(env: Env, workspaceId: string, assistantId: string): Promise<void> {
  await (await knowledgeIndex(env, { workspaceId, assistantId })).deleteAll({ workspaceId, assistantId });
  const store = createVectorStore(await withWorkspaceVectors(env, workspaceId));
  if (store.deleteNamespace) await store.deleteNamespace(assistantId);
}
