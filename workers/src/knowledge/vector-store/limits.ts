import type { VectorMetadata, VectorRecord } from "./vector-store";

/**
 * Vectorize's documented limits, checked by both stores before anything is written, so an
 * index that works on the local store keeps working when the deployment moves to Vectorize.
 */

/** Longest vector id and namespace name, in UTF-8 bytes. */
export const MAX_ID_BYTES = 64;
/** Longest vector Vectorize accepts (float32 values). */
export const MAX_DIMENSIONS = 1536;
/** Results a query may ask for when it also wants metadata back (ours always does). */
export const MAX_TOP_K = 20;
/** Vectors per upsert call through the Workers binding (the HTTP API takes 5,000). */
export const MAX_UPSERT_BATCH = 1000;

const utf8 = new TextEncoder();

/** UTF-8 length of `value`. */
export function byteLength(value: string): number {
  return utf8.encode(value).byteLength;
}

/** Throws unless `namespace` is a usable namespace name. */
export function assertValidNamespace(namespace: string): void {
  if (namespace === "" || byteLength(namespace) > MAX_ID_BYTES) {
    throw new RangeError(`vector namespace must be 1 to ${MAX_ID_BYTES} bytes`);
  }
}

/** Throws unless `id` is a usable vector id. */
export function assertValidId(id: string): void {
  if (id === "" || byteLength(id) > MAX_ID_BYTES) throw new RangeError(`vector id must be 1 to ${MAX_ID_BYTES} bytes: "${id}"`);
}

/** Throws unless every id is usable. */
export function assertValidIds(ids: readonly string[]): void {
  for (const id of ids) assertValidId(id);
}

/**
 * True when every value is 0 (an embedder's answer for a text without terms): it has no
 * direction, so no cosine neighbours. The stores keep no vector for it.
 */
export function isZeroVector(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) return false;
  return true;
}

/** Throws unless `values` is a vector Vectorize would store. */
export function assertValidValues(values: ArrayLike<number>): void {
  if (values.length === 0 || values.length > MAX_DIMENSIONS) {
    throw new RangeError(`vector must have 1 to ${MAX_DIMENSIONS} dimensions, got ${values.length}`);
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new RangeError("vector values must be finite numbers");
  }
}

/** Throws unless every record is valid and they all have one length; returns that length. */
export function assertValidRecords(records: readonly VectorRecord[]): number {
  const dimensions = records[0]?.values.length ?? 0;
  const seen = new Set<string>();
  for (const record of records) {
    assertValidId(record.id);
    assertValidValues(record.values);
    if (record.values.length !== dimensions) throw new RangeError("vectors of one upsert must all have the same length");
    // Two writes of one id in a batch would race each other on Vectorize; say which one wins.
    if (seen.has(record.id)) throw new RangeError(`vector id "${record.id}" appears twice in one upsert`);
    seen.add(record.id);
  }
  return dimensions;
}

/** `topK` as the stores use it: an integer from 0 to `MAX_TOP_K`. */
export function clampTopK(topK: number): number {
  if (!Number.isFinite(topK) || topK < 1) return 0;
  return Math.min(Math.floor(topK), MAX_TOP_K);
}

/** Only the metadata fields the contract stores, whatever else the caller's object carries. */
export function pickMetadata({ metadata }: VectorRecord): VectorMetadata {
  return { document_id: metadata.document_id, chunk_id: metadata.chunk_id, workspace_id: metadata.workspace_id };
}

/** `records` split into those with a direction and the ids of the all-zero ones. */
export function splitZeroVectors(records: readonly VectorRecord[]): { stored: VectorRecord[]; zeroIds: string[] } {
  const stored: VectorRecord[] = [];
  const zeroIds: string[] = [];
  for (const record of records) {
    if (isZeroVector(record.values)) zeroIds.push(record.id);
    else stored.push(record);
  }
  return { stored, zeroIds };
}
