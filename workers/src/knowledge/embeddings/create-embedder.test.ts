import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { AiRunner } from "../../llm/workers-ai";
import { cachedEmbedderFor } from "./cached-embedder-for";
import { createEmbedder } from "./create-embedder";
import { EmbedderConfigError } from "./embedder";
import { HashEmbedder } from "./hash-embedder";
import { OpenAIEmbedder } from "./openai-embedder";
import { WorkersAIEmbedder } from "./workers-ai-embedder";

const ai: AiRunner = { run: async () => ({ shape: [0, 768], data: [] }) };

describe("createEmbedder", () => {
  it("is the offline hash embedder by default", () => {
    expect(createEmbedder({})).toBeInstanceOf(HashEmbedder);
    expect(createEmbedder({ EMBEDDER: "hash" })).toBeInstanceOf(HashEmbedder);
    expect(createEmbedder({ EMBEDDER: " " })).toBeInstanceOf(HashEmbedder);
  });

  it("builds OpenAI and Workers AI embedders when their key or binding is there", () => {
    const openai = createEmbedder({ EMBEDDER: "openai", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: "http://127.0.0.1:9/v1" });
    expect(openai).toBeInstanceOf(OpenAIEmbedder);
    expect(openai).toMatchObject({ name: "openai:text-embedding-3-small", dimensions: 1536 });
    const bge = createEmbedder({ EMBEDDER: "Workers-AI", AI: ai });
    expect(bge).toBeInstanceOf(WorkersAIEmbedder);
    expect(bge.dimensions).toBe(768);
  });

  it("refuses to fall back silently when the key or binding is missing", () => {
    // A fallback would write vectors of another model (and dimension) into the same index.
    expect(() => createEmbedder({ EMBEDDER: "openai" })).toThrow(EmbedderConfigError);
    expect(() => createEmbedder({ EMBEDDER: "openai" })).toThrow(/OPENAI_API_KEY/);
    expect(() => createEmbedder({ EMBEDDER: "workers-ai" })).toThrow(/AI binding/);
    expect(() => createEmbedder({ EMBEDDER: "cohere" })).toThrow(/unknown EMBEDDER "cohere"/);
  });
});

describe("cachedEmbedderFor", () => {
  it("leaves the hash embedder uncached and wraps the networked ones", () => {
    expect(cachedEmbedderFor({ VECTOR_INDEX: env.VECTOR_INDEX })).toBeInstanceOf(HashEmbedder);
    const wrapped = cachedEmbedderFor({ VECTOR_INDEX: env.VECTOR_INDEX, EMBEDDER: "workers-ai", AI: ai }, "ast_x");
    expect(wrapped).not.toBeInstanceOf(WorkersAIEmbedder);
    expect(wrapped).toMatchObject({ name: "workers-ai:@cf/baai/bge-base-en-v1.5:cls", dimensions: 768 });
  });
});
