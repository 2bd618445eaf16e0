import type { AiRunner } from "../../llm/workers-ai";
import { RerankerConfigError, type Reranker } from "./reranker";
import { WorkersAIReranker } from "./workers-ai-reranker";

/** The bindings the rerankers read. */
export type RerankerEnv = { RERANKER?: string; AI?: AiRunner };

/** The reranker `env.RERANKER` selects: `none` (the default: no reranking) or `workers-ai`. */
export function createReranker(env: RerankerEnv): Reranker | null {
  const kind = (env.RERANKER?.trim() || "none").toLowerCase();
  switch (kind) {
    case "none":
      return null;
    case "workers-ai":
      if (!env.AI) throw new RerankerConfigError('RERANKER is "workers-ai" but the AI binding is not configured');
      return new WorkersAIReranker({ ai: env.AI });
    default:
      throw new RerankerConfigError(`unknown RERANKER "${env.RERANKER}"; use none or workers-ai`);
  }
}
