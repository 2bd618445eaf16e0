import type { LocalVectorIndexDO } from "../local-vector-index-do";
import type { NamedObjects } from "../../storage/data-region";
import { chunked } from "../../lib/chunked";
import { toUnitVector } from "../embeddings/vector-math";
import {
  assertValidIds,
  assertValidNamespace,
  assertValidRecords,
  assertValidValues,
  clampTopK,
  isZeroVector,
  pickMetadata,
  splitZeroVectors,
} from "./limits";
import type { VectorMatch, VectorQueryOptions, VectorRecord, VectorStore } from "./vector-store";

/**
 * Vectors sent to the index per RPC call: 500 × 1536 float32 is 3 MB, well under the 32 MiB an
 * RPC message may carry, and one SQLite transaction of that size commits in milliseconds.
 */
const UPSERT_RPC_BATCH = 500;
/** Ids per delete call; ids are tiny, the bound only keeps one transaction short. */
const DELETE_RPC_BATCH = 1000;

/**
 * The `local` store: one `LocalVectorIndexDO` per namespace (assistant), named by it, with exact
 * cosine search. Vectors are made unit length here, so the object compares by dot product.
 */
export class LocalVectorStore implements VectorStore {
  readonly kind = "local";

  constructor(private readonly index: NamedObjects<LocalVectorIndexDO>) {}

  async upsert(namespace: string, vectors: VectorRecord[]): Promise<void> {
    assertValidNamespace(namespace);
    assertValidRecords(vectors);
    const { stored, zeroIds } = splitZeroVectors(vectors);
    const stub = this.index.getByName(namespace);
    for (const batch of chunked(stored, UPSERT_RPC_BATCH)) {
      await stub.upsert(batch.map((v) => ({ id: v.id, values: toUnitVector(v.values), metadata: pickMetadata(v) })));
    }
    // Replacing a vector by one without direction leaves no vector.
    if (zeroIds.length > 0) await this.deleteByIds(namespace, zeroIds);
  }

  async query(namespace: string, vector: number[] | Float32Array, options: VectorQueryOptions): Promise<VectorMatch[]> {
    assertValidNamespace(namespace);
    assertValidValues(vector);
    const topK = clampTopK(options.topK);
    if (topK === 0 || isZeroVector(vector)) return [];
    return this.index.getByName(namespace).query(toUnitVector(vector), topK);
  }

  async deleteByIds(namespace: string, ids: string[]): Promise<void> {
    assertValidNamespace(namespace);
    assertValidIds(ids);
    const stub = this.index.getByName(namespace);
    for (const batch of chunked(ids, DELETE_RPC_BATCH)) await stub.deleteByIds(batch);
  }

  async deleteNamespace(namespace: string): Promise<void> {
    assertValidNamespace(namespace);
    await this.index.getByName(namespace).deleteAll();
  }
}
