/**
 * An in-memory stand-in for a Vectorize index binding (cosine metric), for tests: Vectorize has
 * no local simulation. It enforces the documented limits by throwing the way the binding does,
 * so an adapter that passes against it does not fail on the real service for size reasons:
 * dimensions ≤ 1536 and equal to the index's, ids and namespaces ≤ 64 bytes, ≤ 1,000 vectors per
 * upsert through Workers, metadata ≤ 10 KiB with valid keys, topK ≤ 20 when values or metadata
 * are returned and ≤ 100 otherwise.
 *
 * Like Vectorize, ids are unique across the index (a namespace is an attribute of the vector;
 * `deleteByIds` and `getByIds` take none). Unlike Vectorize, writes are visible at once.
 */

const MAX_DIMENSIONS = 1536;
const MAX_ID_BYTES = 64;
const MAX_NAMESPACE_BYTES = 64;
const MAX_UPSERT_BATCH = 1000;
const MAX_METADATA_BYTES = 10 * 1024;
const MAX_TOP_K_WITH_DATA = 20;
const MAX_TOP_K = 100;

const utf8 = new TextEncoder();

interface StoredVector {
  id: string;
  namespace: string | undefined;
  values: Float32Array;
  metadata: Record<string, VectorizeVectorMetadata> | undefined;
}

/** One call the double received, for assertions on batching. */
export interface VectorizeCall {
  method: "insert" | "upsert" | "query" | "queryById" | "deleteByIds" | "getByIds" | "describe";
  size: number;
}

/** A Vectorize index binding held in memory. */
export class VectorizeDouble implements Vectorize {
  readonly calls: VectorizeCall[] = [];
  private readonly vectors = new Map<string, StoredVector>();
  private mutations = 0;

  constructor(readonly dimensions: number) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new Error(`dimensions must be 1 to ${MAX_DIMENSIONS}`);
    }
  }

  async describe(): Promise<VectorizeIndexInfo> {
    this.calls.push({ method: "describe", size: 0 });
    return {
      vectorCount: this.vectors.size,
      dimensions: this.dimensions,
      processedUpToDatetime: Date.now(),
      processedUpToMutation: this.mutations,
    };
  }

  async insert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ method: "insert", size: vectors.length });
    this.checkBatch("VECTOR_INSERT_ERROR", vectors);
    for (const v of vectors) if (!this.vectors.has(v.id)) this.store(v);
    return this.mutation();
  }

  async upsert(vectors: VectorizeVector[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ method: "upsert", size: vectors.length });
    this.checkBatch("VECTOR_UPSERT_ERROR", vectors);
    for (const v of vectors) this.store(v);
    return this.mutation();
  }

  async query(vector: VectorFloatArray | number[], options: VectorizeQueryOptions = {}): Promise<VectorizeMatches> {
    this.calls.push({ method: "query", size: options.topK ?? 5 });
    if (vector.length !== this.dimensions) {
      throw new Error(`VECTOR_QUERY_ERROR: query vector has ${vector.length} dimensions, the index has ${this.dimensions}`);
    }
    return this.search(Float32Array.from(vector), options, undefined);
  }

  async queryById(vectorId: string, options: VectorizeQueryOptions = {}): Promise<VectorizeMatches> {
    this.calls.push({ method: "queryById", size: options.topK ?? 5 });
    const stored = this.vectors.get(vectorId);
    if (!stored) return { matches: [], count: 0 };
    return this.search(stored.values, options, vectorId);
  }

  async deleteByIds(ids: string[]): Promise<VectorizeAsyncMutation> {
    this.calls.push({ method: "deleteByIds", size: ids.length });
    for (const id of ids) this.vectors.delete(id);
    return this.mutation();
  }

  async getByIds(ids: string[]): Promise<VectorizeVector[]> {
    this.calls.push({ method: "getByIds", size: ids.length });
    return ids.flatMap((id) => {
      const v = this.vectors.get(id);
      return v ? [{ id: v.id, namespace: v.namespace, values: Array.from(v.values), metadata: v.metadata }] : [];
    });
  }

  /** Vectors held in `namespace` (all of them when undefined), for assertions. */
  count(namespace?: string): number {
    let n = 0;
    for (const v of this.vectors.values()) if (namespace === undefined || v.namespace === namespace) n++;
    return n;
  }

  private search(query: Float32Array, options: VectorizeQueryOptions, excludeId: string | undefined): VectorizeMatches {
    const topK = options.topK ?? 5;
    const returnValues = options.returnValues === true;
    const metadataLevel = options.returnMetadata === true ? "all" : options.returnMetadata || "none";
    const withData = returnValues || metadataLevel !== "none";
    const maxTopK = withData ? MAX_TOP_K_WITH_DATA : MAX_TOP_K;
    if (!Number.isInteger(topK) || topK < 1 || topK > maxTopK) {
      throw new Error(`VECTOR_QUERY_ERROR (code = 40025): max top K is ${maxTopK}, but got ${topK}`);
    }
    if (options.namespace !== undefined) checkNamespace("VECTOR_QUERY_ERROR", options.namespace);
    if (options.filter !== undefined) throw new Error("VectorizeDouble: metadata filters are not simulated");
    const queryNorm = norm(query);
    const matches = [...this.vectors.values()]
      .filter((v) => v.id !== excludeId && (options.namespace === undefined || v.namespace === options.namespace))
      .map((v) => ({ v, score: cosine(query, queryNorm, v.values) }))
      .sort((a, b) => b.score - a.score || (a.v.id < b.v.id ? -1 : a.v.id > b.v.id ? 1 : 0))
      .slice(0, topK)
      .map(({ v, score }) => {
        const match: VectorizeMatch = { id: v.id, score };
        if (v.namespace !== undefined) match.namespace = v.namespace;
        if (returnValues) match.values = Array.from(v.values);
        if (metadataLevel === "all" && v.metadata) match.metadata = structuredClone(v.metadata);
        return match;
      });
    return { matches, count: matches.length };
  }

  private checkBatch(error: string, vectors: VectorizeVector[]): void {
    if (vectors.length > MAX_UPSERT_BATCH) {
      throw new Error(`${error}: a batch holds at most ${MAX_UPSERT_BATCH} vectors through Workers, got ${vectors.length}`);
    }
    for (const v of vectors) {
      if (typeof v.id !== "string" || v.id === "" || utf8.encode(v.id).byteLength > MAX_ID_BYTES) {
        throw new Error(`${error}: vector id must be 1 to ${MAX_ID_BYTES} bytes: "${v.id}"`);
      }
      if (v.namespace !== undefined) checkNamespace(error, v.namespace);
      if (v.values.length !== this.dimensions) {
        throw new Error(`${error}: vector "${v.id}" has ${v.values.length} dimensions, the index has ${this.dimensions}`);
      }
      for (let i = 0; i < v.values.length; i++) {
        if (!Number.isFinite(v.values[i])) throw new Error(`${error}: vector "${v.id}" has a non-finite value`);
      }
      if (v.metadata !== undefined) checkMetadata(error, v.id, v.metadata);
    }
  }

  private store(v: VectorizeVector): void {
    // Float32, as Vectorize stores every dimension; upsert replaces values and metadata in full.
    this.vectors.set(v.id, {
      id: v.id,
      namespace: v.namespace,
      values: Float32Array.from(v.values),
      metadata: v.metadata === undefined ? undefined : structuredClone(v.metadata),
    });
  }

  private mutation(): VectorizeAsyncMutation {
    this.mutations += 1;
    return { mutationId: `mutation-${this.mutations}` };
  }
}

function checkNamespace(error: string, namespace: string): void {
  if (namespace === "" || utf8.encode(namespace).byteLength > MAX_NAMESPACE_BYTES) {
    throw new Error(`${error}: namespace must be 1 to ${MAX_NAMESPACE_BYTES} bytes`);
  }
}

function checkMetadata(error: string, id: string, metadata: Record<string, VectorizeVectorMetadata>): void {
  for (const key of Object.keys(metadata)) {
    if (key === "" || key.includes(".") || key.includes('"') || key.startsWith("$")) {
      throw new Error(`${error}: invalid metadata key "${key}" on vector "${id}"`);
    }
  }
  const bytes = utf8.encode(JSON.stringify(metadata)).byteLength;
  if (bytes > MAX_METADATA_BYTES) {
    throw new Error(`${error}: metadata of vector "${id}" is ${bytes} bytes, at most ${MAX_METADATA_BYTES}`);
  }
}

function norm(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] ?? 0) * (v[i] ?? 0);
  return Math.sqrt(sum);
}

function cosine(query: Float32Array, queryNorm: number, v: Float32Array): number {
  const denominator = queryNorm * norm(v);
  if (denominator === 0) return 0;
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (query[i] ?? 0) * (v[i] ?? 0);
  return sum / denominator;
}
