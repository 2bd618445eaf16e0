import type { AiRunner } from "../../llm/workers-ai";
import { EmbedderConfigError, type Embedder } from "./embedder";
import { HashEmbedder } from "./hash-embedder";
import { OpenAIEmbedder } from "./openai-embedder";
import { WorkersAIEmbedder } from "./workers-ai-embedder";

/** The bindings and secrets the embedders read. */
export type EmbedderEnv = Partial<Pick<Env, "EMBEDDER" | "OPENAI_API_KEY" | "OPENAI_BASE_URL">> & { AI?: AiRunner };

/** The embedder `env.EMBEDDER` selects: `hash` (the default), `openai` or `workers-ai`. */
export function createEmbedder(env: EmbedderEnv): Embedder {
  const kind = (env.EMBEDDER?.trim() || "hash").toLowerCase();
  switch (kind) {
    case "hash":
      return new HashEmbedder();
    case "openai":
      if (!env.OPENAI_API_KEY) throw new EmbedderConfigError("EMBEDDER is \"openai\" but OPENAI_API_KEY is not set");
      return new OpenAIEmbedder({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL });
    case "workers-ai":
      if (!env.AI) throw new EmbedderConfigError("EMBEDDER is \"workers-ai\" but the AI binding is not configured");
      return new WorkersAIEmbedder({ ai: env.AI });
    default:
      throw new EmbedderConfigError(`unknown EMBEDDER "${env.EMBEDDER}"; use hash, openai or workers-ai`);
  }
}
