import { Inflate } from "fflate";
import { formatSize, ParseError } from "./parse-error";

/**
 * Reading single entries out of a ZIP file (the container of DOCX) without trusting it. The
 * central directory is read here rather than by fflate's `unzipSync`, because that one inflates
 * into a buffer of the size the archive declares and keeps decoding past it: a bomb that lies
 * about its size costs its whole expansion in CPU. Here sizes and ratios are checked before
 * anything is inflated, and inflation (fflate's streaming `Inflate`) stops the moment the output
 * passes the declared size.
 */

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_ENTRY_SIGNATURE = 0x02014b50;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const EOCD_BYTES = 22; // fixed part of the end-of-central-directory record
const MAX_COMMENT_BYTES = 0xffff; // the archive comment's length field is 16 bits
const ZIP64_EXTRA_ID = 0x0001;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const FLAG_ENCRYPTED = 0x0001;
const INFLATE_SLICE_BYTES = 4096; // compressed bytes per push: deflate expands at most ~1,032×, so one push yields ≤ ~4 MB before the size check runs again

/** Limits for reading one archive. */
export interface ZipLimits {
  /** Entries the central directory may list. */
  maxEntries: number;
  /** What the file is called in messages to the user ("Word document"). */
  label: string;
}

/** Limits for inflating one entry. */
export interface ZipEntryLimits {
  /** Uncompressed bytes the entry may hold. */
  maxBytes: number;
  /** Uncompressed size ÷ compressed size above which the entry is treated as a bomb. */
  maxRatio: number;
  /** What the file is called in messages to the user ("Word document"). */
  label: string;
}

/** One file listed in an archive's central directory, with the sizes it declares. */
export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Whether `bytes` start like a ZIP archive (a local file header, or an empty archive's end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) return false;
  return (bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6);
}

/** The entries of the archive's central directory, refusing more than `limits.maxEntries`. */
export function listZipEntries(bytes: Uint8Array, limits: ZipLimits): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why: string) => new ParseError("corrupt", `The ${limits.label} is damaged (${why}). Open it and save it again, then upload the new copy.`);
  const eocd = findEndRecord(view);
  if (eocd < 0) throw damaged("its table of contents is missing");

  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === ZIP64_LOCATOR_SIGNATURE) {
    const zip64 = safeNumber(view.getBigUint64(eocd - 12, true));
    if (zip64 + 56 > view.byteLength || view.getUint32(zip64, true) !== ZIP64_EOCD_SIGNATURE) throw damaged("its table of contents is unreadable");
    count = safeNumber(view.getBigUint64(zip64 + 32, true));
    offset = safeNumber(view.getBigUint64(zip64 + 48, true));
  }
  if (count > limits.maxEntries) {
    throw new ParseError("too_large", `The ${limits.label} holds ${count.toLocaleString("en-US")} files inside; the limit is ${limits.maxEntries.toLocaleString("en-US")}.`);
  }

  const entries: ZipEntry[] = [];
  const names = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (offset + 46 > view.byteLength || view.getUint32(offset, true) !== CENTRAL_ENTRY_SIGNATURE) throw damaged("its table of contents is cut short");
    const flags = view.getUint16(offset + 8, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const end = offset + 46 + nameLength + extraLength + commentLength;
    if (end > view.byteLength) throw damaged("its table of contents is cut short");
    // Names without the UTF-8 flag are CP437; the names we look for are ASCII in both.
    const name = names.decode(bytes.subarray(offset + 46, offset + 46 + nameLength));
    const entry: ZipEntry = {
      name,
      method: view.getUint16(offset + 10, true),
      flags,
      compressedSize: view.getUint32(offset + 20, true),
      uncompressedSize: view.getUint32(offset + 24, true),
      localHeaderOffset: view.getUint32(offset + 42, true),
    };
    applyZip64Extra(view, offset + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    offset = end;
  }
  return entries;
}

/** The uncompressed bytes of `entry`, refused before inflating if its declared size or ratio is over the limits, and stopped while inflating if it expands past what it declared. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, limits: ZipEntryLimits): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const damaged = (why: string) => new ParseError("corrupt", `The ${limits.label} is damaged (${why}). Open it and save it again, then upload the new copy.`);
  const bomb = () =>
    new ParseError("too_large", `The ${limits.label} expands to far more data than a document of its size should; it looks like a compression bomb and was not opened.`);

  if (entry.flags & FLAG_ENCRYPTED) throw new ParseError("encrypted", `The ${limits.label} is password-protected. Remove the password and upload it again.`);
  if (entry.uncompressedSize > limits.maxBytes) {
    throw new ParseError(
      "too_large",
      `The ${limits.label}'s text part is ${formatSize(entry.uncompressedSize)} uncompressed; the limit is ${formatSize(limits.maxBytes)}. Split it into smaller files.`,
    );
  }
  if (entry.uncompressedSize > Math.max(entry.compressedSize, 1) * limits.maxRatio) throw bomb();

  const header = entry.localHeaderOffset;
  if (header + 30 > view.byteLength || view.getUint32(header, true) !== LOCAL_HEADER_SIGNATURE) throw damaged(`the part "${entry.name}" is missing`);
  const start = header + 30 + view.getUint16(header + 26, true) + view.getUint16(header + 28, true);
  const end = start + entry.compressedSize;
  if (end > view.byteLength) throw damaged(`the part "${entry.name}" is cut short`);
  const compressed = bytes.subarray(start, end);

  if (entry.method === METHOD_STORED) {
    if (entry.compressedSize !== entry.uncompressedSize) throw damaged(`the part "${entry.name}" has inconsistent sizes`);
    return compressed.slice();
  }
  if (entry.method !== METHOD_DEFLATE) throw damaged(`the part "${entry.name}" uses an unknown compression method`);

  const chunks: Uint8Array[] = [];
  let produced = 0;
  const inflater = new Inflate((chunk) => {
    produced += chunk.length;
    if (produced > entry.uncompressedSize) throw bomb();
    chunks.push(chunk);
  });
  try {
    for (let at = 0; at < compressed.length; at += INFLATE_SLICE_BYTES) {
      inflater.push(compressed.subarray(at, at + INFLATE_SLICE_BYTES), at + INFLATE_SLICE_BYTES >= compressed.length);
    }
    if (compressed.length === 0) inflater.push(compressed, true);
  } catch (error) {
    if (error instanceof ParseError) throw error;
    throw damaged(`the part "${entry.name}" cannot be decompressed`);
  }
  if (produced !== entry.uncompressedSize) throw damaged(`the part "${entry.name}" is shorter than it says`);
  return concat(chunks, produced);
}

/** Offset of the end-of-central-directory record, searching back over a possible comment; -1 if absent. */
function findEndRecord(view: DataView): number {
  const last = view.byteLength - EOCD_BYTES;
  const first = Math.max(0, last - MAX_COMMENT_BYTES);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  return -1;
}

/** Replaces 32-bit sizes and offset saturated at 0xFFFFFFFF with their ZIP64 extra-field values. */
function applyZip64Extra(view: DataView, start: number, length: number, entry: ZipEntry): void {
  const SATURATED = 0xffffffff;
  for (let at = start; at + 4 <= start + length; ) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA_ID) {
      let field = at + 4;
      const next = (): number => {
        const value = field + 8 <= at + 4 + size ? safeNumber(view.getBigUint64(field, true)) : SATURATED;
        field += 8;
        return value;
      };
      if (entry.uncompressedSize === SATURATED) entry.uncompressedSize = next();
      if (entry.compressedSize === SATURATED) entry.compressedSize = next();
      if (entry.localHeaderOffset === SATURATED) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + size;
  }
}

/** A 64-bit field as a number; values past 2^53 are as good as infinite here. */
function safeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
