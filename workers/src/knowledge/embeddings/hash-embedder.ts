import { FUNCTION_WORDS, lightStem, tokens } from "../retrieval/tokens";
import type { Embedder } from "./embedder";
import { normalizeInPlace } from "./vector-math";

/**
 * The offline default embedder: no model, no network. A text becomes a bag of hashed features:
 * its words (folded, lightly stemmed, without a short list of function words), its adjacent
 * word pairs, and each word's character n-grams, so that morphological variants and compounds
 * ("refund" / "refunded" / "refunding", "login" / "log in") still meet. Each feature goes into
 * one of a fixed number of signed buckets with sublinear term frequency, and the vector is scaled
 * to unit length. No corpus statistics (no IDF): a vector depends on its text alone, so it is
 * deterministic across isolates and versions of the runtime, and vectors stored yesterday still
 * match today's queries.
 */

/**
 * Buckets per vector. Collisions are what this embedder loses to: on the StackFAQ set (see
 * README.md) hit@1 climbs from 0.53 at 768 to 0.58 at 1024 and 0.60 at 1536, and exact,
 * collision-free term vectors reach 0.66. 1536 is the most Vectorize stores; questions hash to a
 * few dozen non-zero buckets, so search time does not grow with it, only memory (6 KB a vector).
 */
export const HASH_DIMENSIONS = 1536;
/** Bumped whenever the features change, so stored vectors and cache entries of the old kind never mix with new ones. */
const FEATURE_VERSION = 2;

/** Which features a text is made of, and their weights relative to one word. */
export interface HashFeatures {
  /** Weight of an adjacent word pair: phrases help, words carry most. */
  bigramWeight: number;
  /** Length of one word's character n-grams as a vector, relative to the word's own weight 1. */
  charGramWeight: number;
  /** Sizes of the character n-grams, taken from the word with boundary marks (`<word>`). */
  charGramSizes: readonly number[];
}

/**
 * The product's features. Pairs at half a word. A word's character 3- and 4-grams together as
 * long as the word itself: "refunded" meets "refunds" on most of their grams, while two texts
 * sharing whole words still share twice as much (chosen on the tuning half, BENCHMARKS.md).
 */
export const HASH_FEATURES: HashFeatures = { bigramWeight: 0.5, charGramWeight: 1, charGramSizes: [3, 4] };

/** A deterministic feature-hashing `Embedder` for offline use and tests. */
export class HashEmbedder implements Embedder {
  readonly name: string;
  private readonly features: HashFeatures;

  constructor(readonly dimensions: number = HASH_DIMENSIONS, features: Partial<HashFeatures> = {}) {
    if (!Number.isInteger(dimensions) || dimensions < 2) throw new RangeError(`invalid hash dimensions ${dimensions}`);
    this.features = { ...HASH_FEATURES, ...features };
    this.name = `hash:v${FEATURE_VERSION}-${dimensions}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** The vector of one text; a text without words (blank, or only function words) is the zero vector. */
  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    for (const [feature, { count, weight }] of features(embeddingWords(text), this.features)) {
      const h = hash32(feature);
      const bucket = h % this.dimensions;
      const sign = h & 0x80000000 ? -1 : 1; // the top bit, independent of the bucket after mixing
      vector[bucket] = (vector[bucket] ?? 0) + sign * weight * (1 + Math.log(count));
    }
    return normalizeInPlace(vector);
  }
}

/** The words a vector is made of, in order: folded, function words and lone letters dropped, lightly stemmed. */
function embeddingWords(text: string): string[] {
  const out: string[] = [];
  for (const token of tokens(text)) {
    if (FUNCTION_WORDS.has(token)) continue;
    if (token.length < 2 && !/\p{N}/u.test(token)) continue;
    out.push(lightStem(token));
  }
  return out;
}

/** Word, word-pair and character n-gram features of a word sequence, with their counts and weights. */
function features(words: readonly string[], options: HashFeatures): Map<string, { count: number; weight: number }> {
  const out = new Map<string, { count: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const seen = out.get(feature);
    if (seen) seen.count += 1;
    else out.set(feature, { count: 1, weight });
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    add(word, 1);
    // A space cannot occur inside a word, so a pair never collides with a single word's string…
    if (i > 0 && options.bigramWeight > 0) add(`${words[i - 1]} ${word}`, options.bigramWeight);
    if (options.charGramWeight > 0) {
      // …and "<", ">" cannot either, so an n-gram never collides with a word.
      const marked = `<${word}>`;
      const grams: string[] = [];
      for (const n of options.charGramSizes) for (let j = 0; j + n <= marked.length; j++) grams.push(`#${marked.slice(j, j + n)}`);
      // Each gram at weight / √grams: a word's n-grams together have the length `charGramWeight`.
      for (const gram of grams) add(gram, options.charGramWeight / Math.sqrt(grams.length));
    }
  }
  return out;
}

/**
 * 32-bit FNV-1a over the string's UTF-16 code units, then murmur3's finaliser: FNV alone mixes
 * short strings poorly into the low bits that pick a bucket. Unsigned result.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
