/** Types of what the TypeScript benches import from `bench/knowledge.mjs`. */

/** The knowledge bench's seeded text: Zipf words, the 86 most frequent English function words. */
export declare class TextGenerator {
  constructor(seed: number, vocabulary?: number);
  int(min: number, max: number): number;
  title(): string;
  /** About `words` words of paragraphs. */
  text(words: number): string;
  /** 4–8 consecutive words of `text`, lower-cased. */
  queryFrom(text: string): string;
}

export declare const description: string;

export default function run(ctx: { tmpDir: string; log: (message: string) => void }): Promise<unknown>;
