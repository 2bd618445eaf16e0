import { describe, expect, it } from "vitest";
import { ModelError } from "../../llm/model-error";
import type { AiRunner } from "../../llm/workers-ai";
import { createReranker } from "./create-reranker";
import { RerankerConfigError } from "./reranker";
import { WORKERS_AI_RERANKER_MODEL, WorkersAIReranker } from "./workers-ai-reranker";

/**
 * A fake `AI` binding answering like bge-reranker-base: `{response: [{id, score}]}`, best first
 * (not in request order), `id` the context's index. By default a context scores by how often it
 * contains the query's first word.
 */
function fakeAi(answer?: (inputs: Record<string, unknown>) => unknown) {
  const calls: { model: string; inputs: Record<string, unknown> }[] = [];
  const ai: AiRunner = {
    async run(model, inputs) {
      calls.push({ model, inputs });
      if (answer) return answer(inputs);
      const word = String(inputs.query).split(" ")[0] ?? "";
      const contexts = inputs.contexts as { text: string }[];
      const response = contexts.map((c, id) => ({ id, score: c.text.split(word).length - 1 })).sort((a, b) => b.score - a.score);
      return { response };
    },
  };
  return { ai, calls };
}

describe("workers-ai reranker", () => {
  it("sends the query and the passages as contexts, and maps the scores back by context index", async () => {
    const { ai, calls } = fakeAi();
    const reranker = new WorkersAIReranker({ ai });
    const scores = await reranker.score("refund policy", [
      { id: "a", text: "Shipping takes three days." },
      { id: "b", text: "A refund, a refund, a refund." },
      { id: "c", text: "Ask for a refund within 30 days." },
    ]);
    expect(reranker.name).toBe(`workers-ai:${WORKERS_AI_RERANKER_MODEL}`);
    expect(calls).toEqual([
      {
        model: "@cf/baai/bge-reranker-base",
        inputs: {
          query: "refund policy",
          contexts: [{ text: "Shipping takes three days." }, { text: "A refund, a refund, a refund." }, { text: "Ask for a refund within 30 days." }],
          top_k: 3,
        },
      },
    ]);
    expect(scores).toEqual([0, 3, 1]);
  });

  it("cuts long passages to the model's window and makes no call for nothing to score", async () => {
    const { ai, calls } = fakeAi();
    await new WorkersAIReranker({ ai }).score("refund", [{ id: "a", text: "refund ".repeat(1_000) }]);
    expect((calls[0]?.inputs.contexts as { text: string }[])[0]?.text).toHaveLength(2_000);
    expect(await new WorkersAIReranker({ ai }).score("refund", [])).toEqual([]);
    expect(calls).toHaveLength(1);
  });

  it("refuses answers that do not score every context exactly", async () => {
    const two = [
      { id: "a", text: "one" },
      { id: "b", text: "two" },
    ];
    const missing = fakeAi(() => ({ response: [{ id: 0, score: 0.9 }] }));
    await expect(new WorkersAIReranker({ ai: missing.ai }).score("q", two)).rejects.toThrow(/left 1 of 2 contexts unscored/);
    const stranger = fakeAi(() => ({ response: [{ id: 5, score: 0.9 }] }));
    await expect(new WorkersAIReranker({ ai: stranger.ai }).score("q", two)).rejects.toThrow(/score for no context/);
    const empty = fakeAi(() => ({ request_id: "async" }));
    await expect(new WorkersAIReranker({ ai: empty.ai }).score("q", two)).rejects.toThrow(/without scores/);
  });

  it("classifies binding errors by their Workers AI code", async () => {
    const busy: AiRunner = {
      run: async () => {
        throw new Error("AiError: 3040: Capacity temporarily exceeded, please try again.");
      },
    };
    const err = await new WorkersAIReranker({ ai: busy }).score("q", [{ id: "a", text: "x" }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).kind).toBe("overloaded");
  });

  it("is off unless RERANKER asks for it, and refuses workers-ai without the AI binding", () => {
    const { ai } = fakeAi();
    expect(createReranker({})).toBeNull();
    expect(createReranker({ RERANKER: "none", AI: ai })).toBeNull();
    expect(createReranker({ RERANKER: "workers-ai", AI: ai })).toBeInstanceOf(WorkersAIReranker);
    expect(() => createReranker({ RERANKER: "workers-ai" })).toThrow(RerankerConfigError);
    expect(() => createReranker({ RERANKER: "cohere", AI: ai })).toThrow(/unknown RERANKER "cohere"/);
  });
});
