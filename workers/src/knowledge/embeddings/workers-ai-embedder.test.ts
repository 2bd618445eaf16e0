import { describe, expect, it } from "vitest";
import { ModelError } from "../../llm/model-error";
import type { AiRunner } from "../../llm/workers-ai";
import { dot } from "./vector-math";
import { WORKERS_AI_EMBEDDING_DIMENSIONS, WORKERS_AI_EMBEDDING_MODEL, WorkersAIEmbedder } from "./workers-ai-embedder";

/** A fake `AI` binding answering like bge-base: `{shape: [n, 768], data, pooling}`, unnormalised. */
function fakeAi(answer?: (text: string[]) => unknown) {
  const calls: { model: string; inputs: Record<string, unknown> }[] = [];
  const ai: AiRunner = {
    async run(model, inputs) {
      calls.push({ model, inputs });
      const text = inputs.text as string[];
      if (answer) return answer(text);
      const data = text.map((t) => Array.from({ length: WORKERS_AI_EMBEDDING_DIMENSIONS }, (_, i) => ((t.length * (i + 1)) % 13) - 6));
      return { shape: [text.length, WORKERS_AI_EMBEDDING_DIMENSIONS], data, pooling: inputs.pooling };
    },
  };
  return { ai, calls };
}

describe("workers-ai embedder", () => {
  it("runs bge with cls pooling, 100 texts a call, and returns unit vectors in order", async () => {
    const { ai, calls } = fakeAi();
    const embedder = new WorkersAIEmbedder({ ai });
    const texts = Array.from({ length: 230 }, (_, i) => "x".repeat(i + 1));
    const vectors = await embedder.embed(texts);

    expect(embedder.name).toBe(`workers-ai:${WORKERS_AI_EMBEDDING_MODEL}:cls`);
    expect(embedder.dimensions).toBe(768);
    expect(calls.map((c) => c.model)).toEqual([WORKERS_AI_EMBEDDING_MODEL, WORKERS_AI_EMBEDDING_MODEL, WORKERS_AI_EMBEDDING_MODEL]);
    expect(calls.map((c) => (c.inputs.text as string[]).length)).toEqual([100, 100, 30]);
    expect(calls[0]?.inputs.pooling).toBe("cls");
    expect(vectors).toHaveLength(230);
    for (const v of vectors) expect(dot(v, v)).toBeCloseTo(1, 5);
    // Text 5 and text 18 have lengths 5 and 18, equal mod 13: the fake gives them one direction.
    expect(dot(vectors[4] ?? new Float32Array(), vectors[17] ?? new Float32Array())).toBeCloseTo(1, 5);
  });

  it("skips blank texts, which the model's schema refuses", async () => {
    const { ai, calls } = fakeAi();
    const [blank, text] = await new WorkersAIEmbedder({ ai }).embed(["", "refund"]);
    expect(calls.map((c) => c.inputs.text)).toEqual([["refund"]]);
    expect(blank?.every((x) => x === 0)).toBe(true);
    expect(text).toHaveLength(768);
  });

  it("refuses an answer that does not hold one 768-value vector per text", async () => {
    const short = fakeAi((text) => ({ shape: [text.length, 3], data: text.map(() => [1, 2, 3]) }));
    await expect(new WorkersAIEmbedder({ ai: short.ai }).embed(["a b"])).rejects.toThrow(/3-dimension/);
    const missing = fakeAi(() => ({ request_id: "async" }));
    await expect(new WorkersAIEmbedder({ ai: missing.ai }).embed(["a b"])).rejects.toThrow(/without embeddings/);
    const fewer = fakeAi(() => ({ shape: [1, 768], data: [new Array<number>(768).fill(1)] }));
    await expect(new WorkersAIEmbedder({ ai: fewer.ai }).embed(["a", "b"])).rejects.toThrow(/1 embeddings for 2 texts/);
  });

  it("classifies binding errors by their Workers AI code", async () => {
    const busy: AiRunner = {
      run: async () => {
        throw new Error("AiError: 3040: Capacity temporarily exceeded, please try again.");
      },
    };
    const err = await new WorkersAIEmbedder({ ai: busy }).embed(["refund"]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect(err).toMatchObject({ kind: "overloaded", retryable: true });
  });
});
