/**
 * Text into index terms and sentences, for the `extractive` model's matching. Deliberately
 * small and language-light: lowercased, accent-folded words without stopwords, cut by a crude
 * suffix stemmer. It only has to make a question and its answer meet, the same way on both.
 */

const MIN_SENTENCE_WORDS = 3; // shorter fragments are labels and headings, not answers

/**
 * Words that carry no topic in questions, in the five languages the widget localises. Question
 * scaffolding ("how long does it take") is included: help articles answer with "5 days", so
 * those words would only make a good answer look like a partial match.
 */
const STOPWORDS: ReadonlySet<string> = new Set(
  [
    // English
    "a an and are as at be been being but by can could did do does doing for from get gets got had has have having",
    "he her here hers him his how i if in into is it its me my myself no not of on or our ours out please she so",
    "some such than that the their them then there these they this those to too us very was we were what when where",
    "which who whom why will with would you your yours about also any all am just more most other own same should",
    "only again once over under up down off each few both further while during before after above below between",
    "long much many take takes took need needs want wants able possible way ways tell know hi hello thanks thank",
    // Spanish
    "el la los las un una unos unas y o de del al en por para con sin que como cuando donde cual quien es son",
    "esta este estos estas ser estar hay mi mis tu tus su sus nos se lo le les me te ya muy mas pero si no puedo",
    "puede hola gracias cuanto cuanta tiempo",
    // French
    "le les des du un une et ou en dans par pour avec sans que qui quoi comment quand est sont ce cet cette ces",
    "mon ma mes ton ta tes son sa ses nous vous ils elles je tu il elle on au aux pas ne plus mais si puis peut",
    "bonjour merci combien",
    // German
    "der die das den dem des ein eine einer eines einem einen und oder in im ist sind mit von zu zum zur fur auf",
    "wie was wann wo warum ich du er sie es wir ihr mein meine dein kann konnen nicht kein keine aber auch bei",
    "hallo danke lange",
    // Portuguese
    "o os as um uma uns umas e ou do da dos das no na nos nas em por para com sem que como quando onde qual quem",
    "meu minha seu sua voce posso pode ola obrigado obrigada quanto",
  ]
    .join(" ")
    .split(" "),
);

/**
 * A bounded memo of a pure function of a text: one turn reads the same passages several times
 * (the `extractive` model per passage and per sentence, confidence scoring again), and an
 * isolate answers many turns on the same articles. Entries are dropped oldest first once the
 * keys and values together pass `maxChars` characters, so the memory it holds stays bounded.
 */
export class TextMemo<T> {
  readonly #entries = new Map<string, { value: T; size: number }>();
  #chars = 0;

  /** `compute` memoised; `sizeOf` is the value's size in characters (for the bound). */
  constructor(
    private readonly maxChars: number,
    private readonly compute: (text: string) => T,
    private readonly sizeOf: (value: T) => number,
  ) {}

  /** `compute(text)`, from the memo when it was computed before. */
  get(text: string): T {
    const hit = this.#entries.get(text);
    if (hit) return hit.value;
    const value = this.compute(text);
    const size = text.length + this.sizeOf(value);
    if (size > this.maxChars) return value; // larger than the whole memo: not kept
    this.#entries.set(text, { value, size });
    this.#chars += size;
    for (const [key, entry] of this.#entries) {
      if (this.#chars <= this.maxChars) break;
      this.#entries.delete(key);
      this.#chars -= entry.size;
    }
    return value;
  }

  /** Forget every entry. */
  clear(): void {
    this.#entries.clear();
    this.#chars = 0;
  }
}

/** Characters each text memo may hold (keys and values): a few hundred help-article passages. */
export const MEMO_CHARS = 400_000;
/** The size of a list of words in characters, for a memo's bound. */
export const arrayChars = (list: readonly string[]) => list.reduce((n, w) => n + w.length + 1, 0);

const foldMemo = new TextMemo(MEMO_CHARS, (text) => text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase(), (s) => s.length);
const stemMemo = new TextMemo(MEMO_CHARS / 4, stemWord, (s) => s.length);
const wordsMemo = new TextMemo(MEMO_CHARS, wordsOf, arrayChars);

/** Empty the memos of this module (and of the modules built on it): for benchmarks of a cold isolate. */
export function clearTextMemo(): void {
  foldMemo.clear();
  stemMemo.clear();
  wordsMemo.clear();
  for (const clear of memoClearers) clear();
}

const memoClearers: (() => void)[] = [];

/** Registers the `clear` of a memo built on this module's, so that `clearTextMemo` empties it too. */
export function onClearTextMemo(clear: () => void): void {
  memoClearers.push(clear);
}

/** Lowercase without accents, so "Devolución" and "devolucion" meet. */
export function foldText(text: string): string {
  return foldMemo.get(text);
}

/** A crude stemmer shared by questions and passages: plural, -ing, -ed and final -e. */
export function stem(word: string): string {
  return stemMemo.get(word);
}

function stemWord(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 3 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  if (w.length > 6 && w.endsWith("ing")) w = w.slice(0, -3);
  else if (w.length > 5 && w.endsWith("ed")) w = w.slice(0, -2);
  if (w.length > 4 && w.endsWith("e")) w = w.slice(0, -1);
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && w.length > 3) w = w.slice(0, -1);
  return w;
}

/** The words of `text` that carry meaning: folded, stopwords and lone letters removed, not stemmed, in order. */
export function words(text: string): string[] {
  return wordsMemo.get(text).slice();
}

function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const word of foldText(text).match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (STOPWORDS.has(word)) continue;
    if (word.length < 2 && !/\d/.test(word)) continue;
    out.push(word);
  }
  return out;
}

/** The index terms of `text`, in order, repeats kept (term frequency matters). */
export function terms(text: string): string[] {
  return termsMemo.get(text).slice();
}

const termsMemo = new TextMemo(MEMO_CHARS, (text) => wordsMemo.get(text).map(stem), arrayChars);
onClearTextMemo(() => termsMemo.clear());

/** Markdown list, quote and numbering markers at the start of a line. */
const LINE_MARKER = /^\s*(?:[-*+•>]|\d+[.)])\s+/;
/** End of a sentence: terminal punctuation, then space, then something that can start one. */
const SENTENCE_END = /(?<=[.!?…。！？])\s+(?=[\p{Lu}\p{N}"'“«¿¡(])/u;

/**
 * The sentences of a help text that could answer something: markdown headings dropped (titles,
 * not answers), list items kept as sentences, hard-wrapped paragraph lines joined, questions
 * dropped (an FAQ's question is not its answer), fragments under three words dropped.
 */
export function splitSentences(text: string): string[] {
  const units: string[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    let current = "";
    for (const raw of block.split("\n")) {
      const line = raw.trim();
      if (line === "") continue;
      if (/^#{1,6}\s/.test(line)) {
        if (current) units.push(current);
        current = "";
        continue;
      }
      if (LINE_MARKER.test(line)) {
        if (current) units.push(current);
        current = line.replace(LINE_MARKER, "");
      } else {
        current = current ? `${current} ${line}` : line;
      }
    }
    if (current) units.push(current);
  }
  const sentences: string[] = [];
  for (const unit of units) {
    const plain = unit.replace(/\*\*|__|`/g, "").replace(/\s+/g, " ").trim();
    for (const sentence of plain.split(SENTENCE_END)) {
      const s = sentence.trim();
      if (s.endsWith("?") || s.endsWith("？")) continue;
      if (s.split(" ").length < MIN_SENTENCE_WORDS) continue;
      sentences.push(s);
    }
  }
  return sentences;
}
