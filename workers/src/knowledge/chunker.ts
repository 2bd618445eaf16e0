import { toHex } from "../lib/crypto";
import { estimateTokens } from "../llm/tokens";
import type { ParsedDocument } from "./parsers/types";

/**
 * Parsed documents to the passages that get embedded and retrieved. Chunks never cross a
 * section, so each keeps the heading it sits under; within a section they end at the strongest
 * break available near the target size (a paragraph, else a line or sentence, else a word: never
 * inside a word) and start a little before the previous one ended, so a sentence cut off at one
 * chunk's end is whole at the next one's start. A tail too small to stand on its own is folded
 * into the chunk before it. Same input, same chunks: nothing here depends on time or randomness.
 */

/** The spec's chunk size: large enough to hold an answer, small enough to rank precisely. */
export const DEFAULT_TARGET_TOKENS = 512;
/** The spec's overlap: a fifth of a chunk repeated from the one before. */
export const DEFAULT_OVERLAP_RATIO = 0.2;
const MAX_OVERLAP_RATIO = 0.5; // more and each chunk would mostly repeat the one before
const MIN_FILL_RATIO = 0.5; // a chunk may end at a stronger break as early as half its budget…
const TAIL_RATIO = 0.25; // …and a remainder under a quarter of the target joins the chunk before it
const MIN_CONTENT_BUDGET_RATIO = 0.5; // a long heading never squeezes the content below half the target
const HEADING_SEPARATOR_TOKENS = 2; // the blank line between heading and content when both are embedded
const LONG_GAP_TOKENS = 32; // text this long without a space (CJK, URLs) is split by the word segmenter
const CHARS_PER_TOKEN_MAX = 4; // estimateTokens counts at least one token per 4 characters: bounds every search

/** Options for `chunkDocument`. */
export interface ChunkOptions {
  /** Tokens per chunk, heading included. Default 512. */
  targetTokens?: number;
  /** Share of a chunk repeated at the start of the next one, 0 to 0.5. Default 0.2. */
  overlapRatio?: number;
}

/** A passage of a document, ready to embed: `heading` is its section's, `ordinal` its place in the document from 0. */
export interface Chunk {
  heading: string | null;
  content: string;
  token_count: number;
  ordinal: number;
}

/** Where a chunk may end, from strongest to weakest. */
const enum Break {
  Hard = 0, // inside a word too long for any chunk: the one place a word is cut
  Word = 1,
  Sentence = 2,
  Paragraph = 3,
  Edge = 4, // start or end of the section
}

/** The chunks of `doc`, numbered in order. */
export function chunkDocument(doc: ParsedDocument, options: ChunkOptions = {}): Chunk[] {
  const target = Math.max(16, Math.floor(options.targetTokens ?? DEFAULT_TARGET_TOKENS));
  const overlapRatio = Math.min(Math.max(options.overlapRatio ?? DEFAULT_OVERLAP_RATIO, 0), MAX_OVERLAP_RATIO);
  const chunks: Chunk[] = [];
  for (const section of doc.sections) {
    const headingTokens = section.heading === null ? 0 : estimateTokens(section.heading) + HEADING_SEPARATOR_TOKENS;
    const budget = Math.max(target - headingTokens, Math.ceil(target * MIN_CONTENT_BUDGET_RATIO));
    for (const content of splitSection(section.text, budget, Math.floor(target * overlapRatio), Math.floor(target * TAIL_RATIO))) {
      chunks.push({ heading: section.heading, content, token_count: estimateTokens(content), ordinal: chunks.length });
    }
  }
  return chunks;
}

/** Hex SHA-256 of `text` (UTF-8): the content hash of a document or a chunk. */
export async function contentHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/** The pieces of one section's text: each at most `budget` tokens (`budget + tail` for a last piece that absorbed a tail). */
function splitSection(text: string, budget: number, overlap: number, tail: number): string[] {
  if (text.trim() === "") return [];
  const tokens = (from: number, to: number) => estimateTokens(text.slice(from, to).trim());
  if (tokens(0, text.length) <= budget + tail) return [text.trim()];

  const { positions, strengths } = breaks(text, budget);
  const at = (i: number) => positions[i] ?? text.length;
  const strength = (i: number) => strengths[i] ?? Break.Word;
  const last = positions.length - 1;
  const pieces: string[] = [];
  let start = 0; // index into positions
  let previousEnd = 0;
  while (start < last) {
    // No break past `horizon` can be within budget (a token is at most 4 characters), so token
    // counts are only ever taken of slices about a chunk long, however long the section.
    const horizon = lastIndexWhere(start + 1, last, (i) => at(i) - at(start) <= CHARS_PER_TOKEN_MAX * (budget + tail) + CHARS_PER_TOKEN_MAX);
    const fitsAll = horizon === last && tokens(at(start), text.length) <= budget;
    // The furthest break within budget, then the strongest from half the budget up to it.
    const furthest = Math.max(lastIndexWhere(start + 1, horizon, (i) => tokens(at(start), at(i)) <= budget), start + 1, previousEnd + 1);
    let end = fitsAll ? last : furthest;
    if (!fitsAll) {
      const earliest = Math.max(firstIndexWhere(start + 1, furthest, (i) => tokens(at(start), at(i)) >= budget * MIN_FILL_RATIO), previousEnd + 1);
      for (let i = furthest; i >= earliest; i--) if (strength(i) > strength(end)) end = i;
      if (horizon === last && tokens(at(end), text.length) < tail && tokens(at(start), text.length) <= budget + tail) end = last;
    }
    const piece = text.slice(at(start), at(end)).trim();
    if (piece !== "") pieces.push(piece);
    if (end === last) break;

    // The next piece starts up to `overlap` tokens back, at the strongest break that still
    // repeats at least half of that.
    let next = end;
    if (overlap > 0) {
      const within = firstIndexWhere(start + 1, end, (i) => tokens(at(i), at(end)) <= overlap);
      const halfway = lastIndexWhere(within, end - 1, (i) => tokens(at(i), at(end)) >= overlap / 2);
      next = within;
      for (let i = within; i <= halfway; i++) if (strength(i) > strength(next)) next = i;
    }
    previousEnd = end;
    start = next;
  }
  return pieces;
}

/** Offsets where a piece may end or start (sorted, first 0, last the text's length) and how strong a break each is. */
function breaks(text: string, budget: number): { positions: number[]; strengths: Break[] } {
  const found = new Map<number, Break>([
    [0, Break.Edge],
    [text.length, Break.Edge],
  ]);
  const mark = (at: number, strength: Break) => {
    if ((found.get(at) ?? -1) < strength) found.set(at, strength);
  };
  for (const m of text.matchAll(/\n[ \t]*\n\s*/g)) mark(m.index + m[0].length, Break.Paragraph);
  for (const m of text.matchAll(/\n\s*/g)) mark(m.index + m[0].length, Break.Sentence);
  for (const m of text.matchAll(/[.!?…](?:["'”’)\]]+)?\s+/g)) mark(m.index + m[0].length, Break.Sentence);
  for (const m of text.matchAll(/[。！？](?:[」』）"”]+)?\s*/g)) mark(m.index + m[0].length, Break.Sentence);
  for (const m of text.matchAll(/\s+/g)) mark(m.index + m[0].length, Break.Word);

  // Runs without whitespace (CJK text, long URLs) get word breaks from the segmenter, and a
  // single "word" longer than half a chunk gets hard breaks: it is not a word a reader would miss.
  const longGap = Math.min(LONG_GAP_TOKENS, Math.floor(budget / 2));
  const hardLimit = Math.max(1, Math.floor(budget / 2));
  const words = new Intl.Segmenter("und", { granularity: "word" });
  const sorted = [...found.keys()].sort((a, b) => a - b);
  for (let i = 0; i + 1 < sorted.length; i++) {
    const from = sorted[i] ?? 0;
    const to = sorted[i + 1] ?? 0;
    if (estimateTokens(text.slice(from, to)) <= longGap) continue;
    let wordStart = from;
    for (const { index } of words.segment(text.slice(from, to))) {
      if (index === 0) continue;
      mark(from + index, Break.Word);
      hardSplit(text, wordStart, from + index, hardLimit, mark);
      wordStart = from + index;
    }
    hardSplit(text, wordStart, to, hardLimit, mark);
  }

  const positions = [...found.keys()].sort((a, b) => a - b);
  return { positions, strengths: positions.map((p) => found.get(p) ?? Break.Word) };
}

/** Hard breaks every `limit` tokens inside [from, to), never between the halves of a surrogate pair. */
function hardSplit(text: string, from: number, to: number, limit: number, mark: (at: number, strength: Break) => void): void {
  let start = from;
  while (estimateTokens(text.slice(start, Math.min(to, start + CHARS_PER_TOKEN_MAX * limit + CHARS_PER_TOKEN_MAX))) > limit) {
    let cut = lastIndexWhere(start + 1, Math.min(to, start + CHARS_PER_TOKEN_MAX * limit), (i) => estimateTokens(text.slice(start, i)) <= limit);
    if (cut <= start) cut = start + 1;
    if (/[\uD800-\uDBFF]/.test(text[cut - 1] ?? "")) cut++;
    mark(cut, Break.Hard);
    start = cut;
  }
}

/** The last index in [from, to] where `ok` holds, `ok` being true then false along the range; `from - 1` if none. */
function lastIndexWhere(from: number, to: number, ok: (i: number) => boolean): number {
  let lo = from;
  let hi = to;
  let found = from - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The first index in [from, to] where `ok` holds, `ok` being false then true along the range; `to` if none. */
function firstIndexWhere(from: number, to: number, ok: (i: number) => boolean): number {
  let lo = from;
  let hi = to;
  let found = to;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ok(mid)) {
      found = mid;
      hi = mid - 1;
    } else lo = mid + 1;
  }
  return found;
}
