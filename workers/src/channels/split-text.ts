/**
 * Splits a long answer into messages a channel accepts, at the most natural break that fits:
 * a paragraph, then a line, then a sentence, then a word; only a single word longer than the
 * limit is cut, and never inside a surrogate pair.
 */

const BREAKS: RegExp[] = [/\n\s*\n/g, /\n/g, /(?<=[.!?…。！？])\s+/g, /\s+/g];

/** The last break of `pattern` within the first `limit` characters (where to cut, where to resume); null when there is none. */
function lastBreak(text: string, limit: number, pattern: RegExp): { cut: number; resume: number } | null {
  let best: { cut: number; resume: number } | null = null;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > limit) break;
    if (m.index > 0) best = { cut: m.index, resume: m.index + m[0].length };
    if (m[0].length === 0) pattern.lastIndex += 1;
  }
  return best;
}

/** `text` in pieces of at most `limit` characters (UTF-16 units, what Twilio counts). */
export function splitText(text: string, limit: number): string[] {
  if (limit < 2) throw new RangeError("limit must be at least 2");
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    let piece: { cut: number; resume: number } | null = null;
    for (const pattern of BREAKS) {
      piece = lastBreak(rest, limit, pattern);
      // A break in the first fifth would leave a runt; look for a finer one instead.
      if (piece && piece.cut >= limit / 5) break;
      piece = null;
    }
    if (!piece) {
      let cut = limit;
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // keep a surrogate pair together
      piece = { cut, resume: cut };
    }
    parts.push(rest.slice(0, piece.cut).trimEnd());
    rest = rest.slice(piece.resume).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}
