/**
 * How the knowledge index keeps chunk vectors small. Pure functions, no runtime:
 *
 * - On disk (SQLite): int8 scalar quantisation, one scale per vector (`value ≈ code × scale`).
 *   1,536 bytes a vector at 1,536 dimensions instead of 6,144 as float32; cosine similarity of a
 *   dequantised vector differs from the float one by ~1e-3, well under the gaps that decide ranks.
 * - In memory: int4 codes (half a byte a dimension) with one weight per vector, for the candidate
 *   pass only: 100,000 vectors of 1,536 dimensions take 77 MB where int8 would take 154 MB, more
 *   than an isolate's 128 MB. Ternary (2-bit) or binary codes would take 38 or 19 MB but lose
 *   too much: on hash-embedder vectors (~900 non-zero values of 1,536, of very unequal size)
 *   the true top 10 was only 54 % (ternary) and 26 % (binary) among 4 × 10 candidates, against
 *   97 % for int4 (99.9 % among 16 × 10). See README "Knowledge index".
 */

/** Largest int8 code magnitude: symmetric, so −127…127 and no bias towards −128. */
const INT8_MAX = 127;
/** Largest int4 code magnitude, symmetric like int8's: −7…7. */
const INT4_MAX = 7;

/** A vector as the index stores it: int8 codes and the scale that brings them back. */
export interface QuantizedVector {
  codes: Int8Array;
  scale: number;
}

/** int8 codes of `values` with a per-vector scale (max |value| ↦ 127); null for a zero vector. */
export function quantizeInt8(values: ArrayLike<number>): QuantizedVector | null {
  let max = 0;
  for (let i = 0; i < values.length; i++) max = Math.max(max, Math.abs(values[i] ?? 0));
  if (max === 0 || !Number.isFinite(max)) return null;
  const scale = max / INT8_MAX;
  const codes = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = Math.round((values[i] ?? 0) / scale);
  return { codes, scale };
}

/** The float values an int8 vector stands for. */
export function dequantize({ codes, scale }: QuantizedVector): Float32Array {
  return Float32Array.from(codes, (c) => c * scale);
}

/**
 * Cosine similarity of a unit-length query with the vector `codes` stands for. The scale cancels
 * out of a cosine, so only the codes are read.
 */
export function int8Cosine(query: ArrayLike<number>, codes: Int8Array): number {
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    dot += (query[i] ?? 0) * c;
    norm += c * c;
  }
  return norm === 0 ? 0 : dot / Math.sqrt(norm);
}

/** Bytes of one int4 row: two dimensions a byte (low nibble first). */
export function int4RowBytes(dimensions: number): number {
  return Math.ceil(dimensions / 2);
}

/**
 * Writes the int4 codes of int8 `codes` into `out` (`int4RowBytes` long): each dimension as
 * −7…7 (max |code| ↦ 7) stored offset by 8 in a nibble. Returns the row's weight, the int4 scale
 * divided by the int8 vector's norm, so `weight × Σ query·int4` approximates the cosine with a
 * unit query.
 */
export function encodeInt4(codes: Int8Array, out: Uint8Array): number {
  let max = 0;
  let norm = 0;
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    max = Math.max(max, Math.abs(c));
    norm += c * c;
  }
  out.fill(0x88); // every nibble 8: the code 0
  if (norm === 0) return 0;
  const scale = max / INT4_MAX;
  for (let i = 0; i < codes.length; i++) {
    const nibble = Math.round((codes[i] as number) / scale) + 8;
    const byte = i >> 1;
    out[byte] = i & 1 ? ((out[byte] as number) & 0x0f) | (nibble << 4) : ((out[byte] as number) & 0xf0) | nibble;
  }
  return scale / Math.sqrt(norm);
}

/**
 * How a row's score against one query is read: a list of lookups, each a byte made of two
 * nibbles of the row and a 256-entry table of the query's dot product with what that byte
 * encodes. A query's non-zero dimensions are few for a hash-embedder question (~100 of 1,536)
 * and rarely share a byte, so two lone nibbles from different byte positions go into one lookup:
 * ~35 lookups a row instead of ~70 bytes. Both nibbles of a byte whose two dimensions are non-zero
 * are the byte itself (every byte, for a dense query).
 */
export interface Int4Lookups {
  /** Per lookup, the byte position whose nibble is the low half of the looked-up byte. */
  lowByte: Int32Array;
  /** Per lookup, the right shift that brings that nibble down: 0 (it is a low nibble) or 4. */
  lowShift: Int32Array;
  /** Per lookup, the byte position whose nibble is the high half of the looked-up byte. */
  highByte: Int32Array;
  /** Per lookup, the left shift that brings that nibble up: 0 (it is a high nibble) or 4. */
  highShift: Int32Array;
  /** Entry `k × 256 + b`: the query's dot product with the two codes byte `b` stands for in lookup `k`. */
  tables: Float32Array;
}

/** The lookups that score int4 rows against `query` (see `Int4Lookups`); none for a zero query. */
export function int4QueryLookups(query: ArrayLike<number>, dimensions: number): Int4Lookups {
  const pairs: [low: number, high: number | null][] = [];
  const lone: number[] = [];
  for (let j = 0; j < int4RowBytes(dimensions); j++) {
    const lo = query[2 * j] ?? 0;
    const hi = query[2 * j + 1] ?? 0;
    if (lo !== 0 && hi !== 0) pairs.push([2 * j, 2 * j + 1]);
    else if (lo !== 0) lone.push(2 * j);
    else if (hi !== 0) lone.push(2 * j + 1);
  }
  for (let i = 0; i < lone.length; i += 2) pairs.push([lone[i] as number, lone[i + 1] ?? null]);

  const n = pairs.length;
  const lookups: Int4Lookups = {
    lowByte: new Int32Array(n),
    lowShift: new Int32Array(n),
    highByte: new Int32Array(n),
    highShift: new Int32Array(n),
    tables: new Float32Array(n * 256),
  };
  pairs.forEach(([low, high], k) => {
    lookups.lowByte[k] = low >> 1;
    lookups.lowShift[k] = (low & 1) * 4;
    // A last lone nibble is looked up with whatever its own byte holds above it, weighted 0.
    lookups.highByte[k] = high === null ? low >> 1 : high >> 1;
    lookups.highShift[k] = high === null || high & 1 ? 0 : 4;
    const qLow = query[low] ?? 0;
    const qHigh = high === null ? 0 : (query[high] ?? 0);
    const base = k * 256;
    for (let b = 0; b < 256; b++) lookups.tables[base + b] = qLow * ((b & 15) - 8) + qHigh * ((b >> 4) - 8);
  });
  return lookups;
}
