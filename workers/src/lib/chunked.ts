/**
 * `items` in consecutive slices of at most `size`, in order: the batches of a bulk write or a
 * bounded `IN (…)` list. Every slice but the last holds exactly `size` items.
 */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  // A size below 1 would never advance; a fraction would cut slices of varying length.
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
