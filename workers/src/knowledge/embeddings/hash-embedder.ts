import { terms } from "../../llm/terms";
import type { Embedder } from "./embedder";
import { normalizeInPlace } from "./vector-math";

/**
 * The offline default embedder: no model, no network. A text becomes the bag of its index terms
 * (the same folded, stemmed, stopword-free terms the extractive model matches on) and of its
 * adjacent term pairs, each hashed into one of a fixed number of signed buckets, with sublinear
 * term frequency, then scaled to unit length. Cosine similarity between two such vectors is a
 * keyword-overlap score that also rewards shared phrases; it is deterministic across isolates
 * and versions of the runtime, so vectors stored yesterday still match today's queries.
 */

/**
 * Buckets per vector. Collisions are what this embedder loses to: on the StackFAQ set (see
 * README.md) hit@1 climbs from 0.53 at 768 to 0.58 at 1024 and 0.60 at 1536, and exact,
 * collision-free term vectors reach 0.66. 1536 is the most Vectorize stores; questions hash to a
 * few dozen non-zero buckets, so search time does not grow with it, only memory (6 KB a vector).
 */
export const HASH_DIMENSIONS = 1536;
/** Weight of an adjacent term pair relative to a single term: phrases help, words carry most. */
const BIGRAM_WEIGHT = 0.5;
/** Bumped whenever the features change, so stored vectors and cache entries of the old kind never mix with new ones. */
const FEATURE_VERSION = 1;

/** A deterministic feature-hashing `Embedder` for offline use and tests. */
export class HashEmbedder implements Embedder {
  readonly name: string;

  constructor(readonly dimensions: number = HASH_DIMENSIONS) {
    if (!Number.isInteger(dimensions) || dimensions < 2) throw new RangeError(`invalid hash dimensions ${dimensions}`);
    this.name = `hash:v${FEATURE_VERSION}-${dimensions}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text));
  }

  /** The vector of one text; a text without index terms is the zero vector. */
  embedOne(text: string): Float32Array {
    const vector = new Float32Array(this.dimensions);
    for (const [feature, { count, weight }] of features(terms(text))) {
      const h = hash32(feature);
      const bucket = h % this.dimensions;
      const sign = h & 0x80000000 ? -1 : 1; // the top bit, independent of the bucket after mixing
      vector[bucket] = (vector[bucket] ?? 0) + sign * weight * (1 + Math.log(count));
    }
    return normalizeInPlace(vector);
  }
}

/** Unigram and bigram features of a term sequence, with their counts and weights. */
function features(words: readonly string[]): Map<string, { count: number; weight: number }> {
  const out = new Map<string, { count: number; weight: number }>();
  const add = (feature: string, weight: number) => {
    const seen = out.get(feature);
    if (seen) seen.count += 1;
    else out.set(feature, { count: 1, weight });
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    add(word, 1);
    // A space cannot occur inside a term, so a pair never collides with a single term's string.
    if (i > 0) add(`${words[i - 1]} ${word}`, BIGRAM_WEIGHT);
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
