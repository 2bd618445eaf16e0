/**
 * Turning text into search terms: lower-cased letter/digit runs without the commonest words.
 * Shared by keyword search, the extractive model and confidence scoring so they agree.
 */

/** Words too common to say anything about relevance, in the languages we detect most. */
const STOPWORDS = new Set(
  (
    "a an and are as at be but by can could do does did for from has have how i if in into is it its me my " +
    "no not of on or our please so that the their them then there these they this to was we what when where " +
    "which who why will with would you your yours about any get got just like also than too very should " +
    "el la los las un una unos unas y o de del en que es por para con como mi tu su se lo al " +
    "le les des du et ou est une pour avec dans ce qui je vous nous il elle " +
    "der die das ein eine und oder ist zu mit von für auf ich sie wir es nicht wie " +
    "o os as um uma e ou do da dos das em para com que é eu você"
  ).split(/\s+/),
);

const TERM = /[\p{L}\p{N}]+/gu;

/** Lower-cased terms of `text`, stopwords and one-letter tokens removed, in order. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(TERM)) {
    const t = m[0];
    if (t.length > 1 && !STOPWORDS.has(t)) out.push(t);
  }
  return out;
}

/** Distinct terms of `text`. */
export function termSet(text: string): Set<string> {
  return new Set(terms(text));
}
