import { ModelError } from "../../llm/model-error";
import { workersAiError, type AiRunner } from "../../llm/workers-ai";
import type { RerankCandidate, Reranker } from "./reranker";

/**
 * Workers AI's reranker through the `AI` binding: `run(model, {query, contexts: [{text}], top_k})`
 * answers `{response: [{id, score}]}`, `id` being the context's index in the request.
 */

/** The default model: bge-reranker-base, a cross-encoder (English and Chinese, 512 tokens per pair). */
export const WORKERS_AI_RERANKER_MODEL = "@cf/baai/bge-reranker-base";
/** Characters of a passage sent: ~512 tokens, the model's window; the rest would be cut by it anyway. */
const MAX_CONTEXT_CHARS = 2_000;


/** How to reach one Workers AI reranking model. */
export interface WorkersAIRerankerOptions {
  ai: AiRunner;
  model?: string;
}

/** A Workers AI reranking model as a `Reranker`. Failures are thrown as `ModelError`. */
export class WorkersAIReranker implements Reranker {
  readonly name: string;
  private readonly ai: AiRunner;
  private readonly model: string;

  constructor(options: WorkersAIRerankerOptions) {
    this.ai = options.ai;
    this.model = options.model ?? WORKERS_AI_RERANKER_MODEL;
    this.name = `workers-ai:${this.model}`;
  }

  async score(query: string, candidates: readonly RerankCandidate[]): Promise<number[]> {
    if (candidates.length === 0 || query.trim() === "") return candidates.map(() => 0);
    let output: unknown;
    try {
      output = await this.ai.run(this.model, {
        query,
        contexts: candidates.map((c) => ({ text: c.text.slice(0, MAX_CONTEXT_CHARS) })),
        top_k: candidates.length,
      });
    } catch (err) {
      throw workersAiError(this.name, err);
    }
    const response = (output as { response?: unknown } | null)?.response;
    if (!Array.isArray(response)) throw new ModelError("server_error", `${this.name} answered without scores`, { model: this.name });
    const scores: (number | null)[] = candidates.map(() => null);
    for (const item of response as unknown[]) {
      const { id, score } = (item ?? {}) as { id?: unknown; score?: unknown };
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= candidates.length || typeof score !== "number" || !Number.isFinite(score)) {
        throw new ModelError("server_error", `${this.name} answered a score for no context: ${JSON.stringify(item)}`, { model: this.name });
      }
      scores[id] = score;
    }
    const missing = scores.filter((s) => s === null).length;
    if (missing > 0) throw new ModelError("server_error", `${this.name} left ${missing} of ${candidates.length} contexts unscored`, { model: this.name });
    return scores.map((s) => s ?? 0);
  }
}
