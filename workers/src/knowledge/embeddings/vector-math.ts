/** Small vector helpers shared by the embedders and the vector stores. */

/** Scales `vector` in place to unit length; a zero vector stays zero (it has no direction). */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) {
    const v = vector[i] ?? 0;
    sum += v * v;
  }
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] ?? 0) * scale;
  return vector;
}

/** A unit-length float32 copy of `values`, whatever array it came in. */
export function toUnitVector(values: ArrayLike<number>): Float32Array {
  return normalizeInPlace(Float32Array.from(values));
}

/** Dot product of two equally long vectors; the cosine similarity when both are unit length. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}
