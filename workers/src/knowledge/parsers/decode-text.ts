/**
 * Bytes to text for the text formats (HTML, Markdown, plain text), telling text from binary data
 * on the way. UTF-8 is the norm; a byte-order mark selects UTF-16; anything else that is not
 * valid UTF-8 is read as Windows-1252, the encoding of most legacy text files from Western
 * Windows machines (WHATWG decoders also map the "latin1" label to it).
 */

const BINARY_SAMPLE_CHARS = 65_536; // enough text to judge a file by; scanning all 25 MB proves nothing more
const MAX_CONTROL_SHARE = 0.01; // real text has almost no control characters; binary data has ~10%
/** Control characters that never appear in text (tab, newline, carriage return and form feed do). */
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001A\u001C-\u001F]/g;

/** The text in `bytes`, or `null` if they are binary data rather than text. */
export function decodeText(bytes: Uint8Array): string | null {
  const text = decodeWithEncoding(bytes);
  if (text === null) return null;
  const sample = text.slice(0, BINARY_SAMPLE_CHARS);
  if (sample.includes("\u0000")) return null;
  const controls = sample.match(CONTROL)?.length ?? 0;
  return controls > sample.length * MAX_CONTROL_SHARE ? null : text;
}

function decodeWithEncoding(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) return tryDecode("utf-8", bytes.subarray(3));
  if (startsWith(bytes, [0xff, 0xfe])) return tryDecode("utf-16le", bytes.subarray(2));
  if (startsWith(bytes, [0xfe, 0xff])) return tryDecode("utf-16be", bytes.subarray(2));
  // NUL bytes mean binary (or BOM-less UTF-16, too rare to guess at): do not let the
  // single-byte fallback turn them into "text".
  if (bytes.includes(0)) return null;
  return tryDecode("utf-8", bytes) ?? new TextDecoder("windows-1252").decode(bytes);
}

function tryDecode(encoding: string, bytes: Uint8Array): string | null {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}
