import { ModelError } from "../../llm/model-error";
import { workersAiError, type AiRunner } from "../../llm/workers-ai";
import { embedInBatches } from "./batches";
import { EMBED_BATCH_SIZE, type Embedder } from "./embedder";

/**
 * Workers AI text embeddings through the `AI` binding: `run(model, {text: [...]})` answers
 * `{shape: [n, 768], data: [[...], ...], pooling}`.
 */

/** The default model: English, 768 dimensions, 512 input tokens (longer input is truncated). */
export const WORKERS_AI_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5";
/** Output length of the bge-base models. */
export const WORKERS_AI_EMBEDDING_DIMENSIONS = 768;
/**
 * `cls` pooling, which Cloudflare recommends for accuracy on longer inputs. Its vectors are not
 * comparable with the default `mean` pooling's, so the pooling is part of the embedder's name.
 */
const POOLING = "cls";


/** How to reach one Workers AI embedding model. */
export interface WorkersAIEmbedderOptions {
  ai: AiRunner;
  model?: string;
  dimensions?: number;
}

/** A Workers AI embedding model as an `Embedder`. Failures are thrown as `ModelError`. */
export class WorkersAIEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  private readonly model: string;
  private readonly ai: AiRunner;

  constructor(options: WorkersAIEmbedderOptions) {
    this.ai = options.ai;
    this.model = options.model ?? WORKERS_AI_EMBEDDING_MODEL;
    this.dimensions = options.dimensions ?? WORKERS_AI_EMBEDDING_DIMENSIONS;
    this.name = `workers-ai:${this.model}:${POOLING}`;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const options = { name: this.name, dimensions: this.dimensions, batchSize: EMBED_BATCH_SIZE };
    return embedInBatches(texts, options, async (batch) => {
      let output: unknown;
      try {
        output = await this.ai.run(this.model, { text: batch, pooling: POOLING });
      } catch (err) {
        throw workersAiError(this.name, err);
      }
      const data = (output as { data?: unknown } | null)?.data;
      if (!Array.isArray(data) || !data.every((row) => Array.isArray(row))) {
        throw new ModelError("server_error", `${this.name} answered without embeddings`, { model: this.name });
      }
      return data as number[][];
    });
  }
}
