/**
 * Retrieval's own tokenisation: what a question is cut into before it is matched. The keyword
 * query uses no word list: question words ("long", "take", "cost", "why") carry meaning in a
 * support question, and words too common to help ("the", "how") are weighed down by BM25's IDF
 * (FTS5 clamps the IDF of a term found in more than half the chunks to almost nothing), so no
 * list tuned to one set of questions decides what can be found. Only the hash embedder, which
 * has no IDF, drops the short standard list of English function words below.
 */

/** Query terms sent to the keyword index; more adds cost without changing the top results. */
export const MAX_QUERY_TERMS = 32;

/** Lowercase without accents, so "Devolución" and "devolucion" meet (as FTS5's remove_diacritics does). */
export function foldCase(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase();
}

/**
 * The words of `text` in order, repeats kept: folded runs of letters and digits, the same cut
 * as FTS5's unicode61 tokenizer (so "don't" is "don" + "t", "e-mail" is "e" + "mail").
 */
export function tokens(text: string): string[] {
  return foldCase(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/**
 * The distinct terms of a question, in order of first use: lone letters are dropped (the
 * leftovers of "don't" and "it's"), lone digits kept ("step 2"), at most `MAX_QUERY_TERMS`.
 */
export function queryTerms(query: string): string[] {
  const out = new Set<string>();
  for (const token of tokens(query)) {
    if (token.length < 2 && !/\p{N}/u.test(token)) continue;
    out.add(token);
    if (out.size >= MAX_QUERY_TERMS) break;
  }
  return [...out];
}

/** An FTS5 `MATCH` expression that ORs `terms`, each quoted so no query syntax leaks in; null for none. */
export function matchExpression(terms: readonly string[]): string | null {
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.replace(/"/g, '""')}"`).join(" OR ");
}

/**
 * English function words: articles, pronouns, auxiliaries, prepositions and conjunctions, the
 * usual short list (no content words like "long", "take", "need"). Only the hash embedder drops
 * them: it has no IDF to weigh them down, and without this list "how do I" would make every
 * question look alike. The keyword index keeps them (its IDF does the weighing).
 */
export const FUNCTION_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if of to in on at by for with from into onto as than then so " +
    "i me my we us our you your he him his she her it its they them their this that these those " +
    "is are was were be been being am do does did have has had will would shall should can could may might must " +
    "what which who whom whose when where why how there here not no"
  ).split(" "),
);

/**
 * Harman's S-stemmer (1991): plural endings only ("policies" → "policy", "boxes" → "boxe",
 * "refunds" → "refund"), never "-ss", "-us". Conservative on purpose: it cannot merge words
 * that mean different things, and character n-grams bridge the rest of the inflections.
 */
export function lightStem(word: string): string {
  if (word.length > 3 && word.endsWith("ies") && !/[ae]ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (word.length > 3 && word.endsWith("es") && !/[aeo]es$/.test(word)) return word.slice(0, -1);
  if (word.length > 2 && word.endsWith("s") && !/[us]s$/.test(word)) return word.slice(0, -1);
  return word;
}
