/**
 * Reads a byte stream into one array, giving up as soon as it holds more than `limit` bytes:
 * request bodies and fetched pages are bounded without ever buffering past the bound.
 * `onTooLarge` builds the error thrown then (a 413 for requests, a fetch error for pages).
 */
export async function readLimited(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  onTooLarge: () => Error,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array();
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw onTooLarge();
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}
