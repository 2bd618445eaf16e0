import { chunked } from "../../lib/chunked";
import { ModelError } from "../../llm/model-error";
import { normalizeInPlace } from "./vector-math";

/**
 * What every networked embedder does around its provider call: split the texts into batches the
 * provider accepts, skip blank texts (providers reject empty input, and they carry no meaning),
 * check that each answer has one vector of the right length per text, and make them unit length.
 */

/** One provider call: the vectors of `texts`, in order, in whatever array shape it returns. */
export type EmbedBatch = (texts: string[]) => Promise<ArrayLike<number>[]>;

/** Embeds `texts` through `embedBatch`, at most `batchSize` per call, one call at a time. */
export async function embedInBatches(
  texts: readonly string[],
  options: { name: string; dimensions: number; batchSize: number },
  embedBatch: EmbedBatch,
): Promise<Float32Array[]> {
  const { name, dimensions, batchSize } = options;
  const out = texts.map(() => new Float32Array(dimensions));
  const pending: number[] = [];
  texts.forEach((text, i) => {
    if (text.trim() !== "") pending.push(i);
  });
  // Sequential on purpose: providers rate-limit per minute, and ingestion is not latency-bound.
  for (const indexes of chunked(pending, batchSize)) {
    const vectors = await embedBatch(indexes.map((i) => texts[i] ?? ""));
    if (vectors.length !== indexes.length) {
      throw new ModelError("server_error", `${name} returned ${vectors.length} embeddings for ${indexes.length} texts`, {
        model: name,
      });
    }
    vectors.forEach((values, j) => {
      if (values.length !== dimensions) {
        throw new ModelError("server_error", `${name} returned a ${values.length}-dimension embedding, expected ${dimensions}`, {
          model: name,
        });
      }
      const target = out[indexes[j] ?? 0];
      if (!target) return;
      target.set(values);
      normalizeInPlace(target);
    });
  }
  return out;
}
