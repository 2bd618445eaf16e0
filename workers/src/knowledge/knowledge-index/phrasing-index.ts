import { nowIso } from "../../lib/time";
import { toUnitVector } from "../embeddings/vector-math";
import type { ScoredPhrasing } from "../retrieval/backend";
import type { VectorMatch, VectorStore } from "../vector-store/vector-store";
import type { AddedPhrasing, IndexScope, PhrasingInput, PhrasingRecord } from "./index-types";
import { MAX_PHRASINGS_PER_INDEX, type PhrasingStore } from "./phrasing-store";
import type { QuantizedVector } from "./quantize";

/** What the phrasings need from their knowledge index object. */
export interface PhrasingIndexHost {
  /** Vectorize when configured; null for the `local` store (vectors in this object's SQLite). */
  vectorize(): VectorStore | null;
  /** An embedding as the index stores it locally (int8); null for a zero vector. */
  quantize(vector: Float32Array): QuantizedVector | null;
  /** Runs `write` in one SQLite transaction. */
  transaction<T>(write: () => T): T;
}

/** Vectorize's nearest vectors of the assistant's namespace (chunks and phrasings alike). */
export type VectorizeQuery = (store: VectorStore, queryVector: readonly number[], limit: number) => Promise<VectorMatch[]>;

/**
 * A knowledge index's learned phrasings with their vectors: rows in `PhrasingStore`, vectors
 * there too (local store) or in Vectorize under the phrasing's own `phr_` id, in the
 * assistant's namespace beside its chunks (no chunk id can take a `phr_` id). Vectorize is
 * written before SQLite, so a vector without its row is never returned.
 */
export class PhrasingIndex {
  constructor(
    private readonly store: PhrasingStore,
    private readonly host: PhrasingIndexHost,
  ) {}

  /** Stores a phrasing, or finds the same text of the same document (`created: false`); `phrasing: null` when full. */
  async add(scope: IndexScope, input: PhrasingInput): Promise<AddedPhrasing> {
    const known = this.store.find(input.documentId, input.text);
    if (known) return { phrasing: known, created: false };
    if (this.store.size() >= MAX_PHRASINGS_PER_INDEX) return { phrasing: null, created: false };
    const vectorize = this.host.vectorize();
    if (vectorize && input.vector) await vectorize.upsert(scope.assistantId, [record(scope, input.id, input.documentId, input.vector)]);
    const local = !vectorize && input.vector ? this.host.quantize(input.vector) : null;
    const { record: phrasing, created } = this.host.transaction(() => this.store.insert(input, local, nowIso()));
    return { phrasing, created };
  }

  /** Replaces phrasings' vectors (null: keyword search only); ids no longer stored are skipped. */
  async setVectors(scope: IndexScope, vectors: { id: string; vector: Float32Array | null }[]): Promise<void> {
    const documentOf = this.store.documentsOf(vectors.map((v) => v.id));
    const live = vectors.filter((v) => documentOf.has(v.id));
    const vectorize = this.host.vectorize();
    if (!vectorize) {
      this.host.transaction(() => {
        for (const v of live) this.store.setVector(v.id, v.vector ? this.host.quantize(v.vector) : null);
      });
      return;
    }
    const records = live.flatMap((v) => (v.vector ? [record(scope, v.id, documentOf.get(v.id)!, v.vector)] : []));
    if (records.length > 0) await vectorize.upsert(scope.assistantId, records);
    await this.forget(scope, live.filter((v) => !v.vector).map((v) => v.id));
  }

  /** Removes a phrasing of `documentId`; null when the document has none with that id. */
  async remove(scope: IndexScope, documentId: string, id: string): Promise<PhrasingRecord | null> {
    const phrasing = this.store.get(id);
    if (!phrasing || phrasing.document_id !== documentId) return null;
    this.store.delete({ id });
    await this.forget(scope, [id]);
    return phrasing;
  }

  /** Removes every phrasing in a visitor's words; returns how many there were. */
  async removeVisitor(scope: IndexScope, visitorId: string): Promise<number> {
    const removed = this.store.delete({ visitorId });
    await this.forget(scope, removed);
    return removed.length;
  }

  /** Removes phrasings' vectors from Vectorize (their rows are gone or going). */
  async forget(scope: IndexScope, ids: string[]): Promise<void> {
    const vectorize = this.host.vectorize();
    if (vectorize && ids.length > 0) await vectorize.deleteByIds(scope.assistantId, ids);
  }

  /** The phrasings' vector leg: exact int8 cosine here, or Vectorize's matches that are phrasings of this index. */
  async nearest(scope: IndexScope, queryVector: readonly number[], limit: number, ask: VectorizeQuery): Promise<ScoredPhrasing[]> {
    const vectorize = this.host.vectorize();
    if (!vectorize) return this.store.nearest(toUnitVector(queryVector), limit);
    const matches = (await ask(vectorize, queryVector, limit)).filter((m) => m.metadata.workspace_id === scope.workspaceId);
    const live = this.store.documentsOf(matches.map((m) => m.id));
    return matches.flatMap((m) => {
      const documentId = live.get(m.id);
      return documentId ? [{ phrasingId: m.id, documentId, score: m.score }] : [];
    });
  }
}

/** `query`, asked once per `limit`: the legs of one search share its answer. */
export function onePerSearch(query: VectorizeQuery): VectorizeQuery {
  const asked = new Map<number, Promise<VectorMatch[]>>();
  return (store, queryVector, limit) => {
    let answer = asked.get(limit);
    if (!answer) asked.set(limit, (answer = query(store, queryVector, limit)));
    return answer;
  };
}

function record(scope: IndexScope, id: string, documentId: string, values: Float32Array) {
  return { id, values, metadata: { document_id: documentId, chunk_id: id, workspace_id: scope.workspaceId } };
}
