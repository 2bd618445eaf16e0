import { chunked } from "../../lib/chunked";
import { toUnitVector } from "../embeddings/vector-math";
import {
  assertValidIds,
  assertValidNamespace,
  assertValidRecords,
  assertValidValues,
  clampTopK,
  isZeroVector,
  MAX_UPSERT_BATCH,
  pickMetadata,
  splitZeroVectors,
} from "./limits";
import type { VectorMatch, VectorMetadata, VectorQueryOptions, VectorRecord, VectorStore } from "./vector-store";

/**
 * The part of a Vectorize binding this store calls. Both the current `Vectorize` type and the
 * older `VectorizeIndex` satisfy it, so the binding can be typed either way.
 */
export interface VectorizeBinding {
  upsert(vectors: VectorizeVector[]): Promise<unknown>;
  query(vector: VectorFloatArray | number[], options?: VectorizeQueryOptions): Promise<VectorizeMatches>;
  deleteByIds(ids: string[]): Promise<unknown>;
}

/**
 * Ids per delete call. Vectorize documents no cap for deletes; the upsert batch size keeps each
 * mutation the same order of size.
 */
const DELETE_BATCH = MAX_UPSERT_BATCH;

/**
 * The `vectorize` store over a Vectorize binding. The index must be created with the embedder's
 * dimensions and the cosine metric (`wrangler vectorize create edgedesk-chunks --dimensions=1536
 * --metric=cosine` for OpenAI, 768 for Workers AI bge, 1536 for `hash`). Each assistant is a
 * namespace; every query names one, so it never sees another assistant's vectors.
 *
 * Two Vectorize behaviours callers should know: writes are applied asynchronously (a vector is
 * queryable a few seconds after `upsert` resolves), and ids are unique across the whole index
 * (`deleteByIds` takes no namespace). Chunk ids are globally unique, so the second is harmless
 * as long as ids are chunk ids; `deleteByIds` here deletes the ids wherever they are.
 */
export class VectorizeStore implements VectorStore {
  readonly kind = "vectorize";

  constructor(private readonly index: VectorizeBinding) {}

  async upsert(namespace: string, vectors: VectorRecord[]): Promise<void> {
    assertValidNamespace(namespace);
    assertValidRecords(vectors);
    const { stored, zeroIds } = splitZeroVectors(vectors);
    for (const batch of chunked(stored, MAX_UPSERT_BATCH)) {
      await this.index.upsert(
        batch.map((v) => ({ id: v.id, namespace, values: toUnitVector(v.values), metadata: { ...pickMetadata(v) } })),
      );
    }
    // Cosine similarity is undefined for a zero vector: replacing a vector by one leaves none.
    if (zeroIds.length > 0) await this.deleteByIds(namespace, zeroIds);
  }

  async query(namespace: string, vector: number[] | Float32Array, options: VectorQueryOptions): Promise<VectorMatch[]> {
    assertValidNamespace(namespace);
    assertValidValues(vector);
    const topK = clampTopK(options.topK);
    if (topK === 0 || isZeroVector(vector)) return [];
    const { matches } = await this.index.query(toUnitVector(vector), {
      topK,
      namespace,
      returnValues: false,
      returnMetadata: "all",
    });
    return matches.flatMap((m) => {
      const metadata = readMetadata(m.metadata);
      // A vector written by something else than this store has no such metadata: not ours to cite.
      return metadata ? [{ id: m.id, score: m.score, metadata }] : [];
    });
  }

  async deleteByIds(namespace: string, ids: string[]): Promise<void> {
    assertValidNamespace(namespace);
    assertValidIds(ids);
    for (const batch of chunked(ids, DELETE_BATCH)) await this.index.deleteByIds(batch);
  }
}

/** The contract's metadata out of what Vectorize returned, or undefined if it is not there. */
function readMetadata(metadata: Record<string, VectorizeVectorMetadata> | undefined): VectorMetadata | undefined {
  const documentId = metadata?.document_id;
  const chunkId = metadata?.chunk_id;
  const workspaceId = metadata?.workspace_id;
  if (typeof documentId !== "string" || typeof chunkId !== "string" || typeof workspaceId !== "string") return undefined;
  return { document_id: documentId, chunk_id: chunkId, workspace_id: workspaceId };
}
