import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ModelError } from "../../llm/model-error";
import { OPENAI_EMBEDDING_DIMENSIONS, OPENAI_EMBEDDING_MODEL, OpenAIEmbedder } from "./openai-embedder";
import { dot } from "./vector-math";

let scenarios = 0;
/** An embedder pointed at a fresh scenario of the fake server playing `steps`. */
function fakeOpenAI(steps: string, options: { encoding?: "base64" | "float" } = {}) {
  scenarios += 1;
  const scenario = `embed-${Date.now()}-${scenarios}`;
  const embedder = new OpenAIEmbedder({
    apiKey: "sk-test",
    baseURL: `${env.LLM_FAKE_URL}/${scenario}/${steps}/v1`,
    maxRetries: 0,
    ...options,
  });
  const log = async () => {
    const res = await fetch(`${env.LLM_FAKE_URL}/${scenario}/log`);
    return (await res.json()) as { body: { model: string; input: string[]; encoding_format: string }; headers: Record<string, string> }[];
  };
  return { embedder, log };
}

describe("openai embedder", () => {
  it("sends batches of at most 100 texts and returns one unit vector per text, in order", async () => {
    const { embedder, log } = fakeOpenAI("ok");
    const texts = Array.from({ length: 250 }, (_, i) => `refund question number ${i}`);
    const vectors = await embedder.embed(texts);

    expect(embedder.name).toBe(`openai:${OPENAI_EMBEDDING_MODEL}`);
    expect(vectors).toHaveLength(250);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v).toHaveLength(OPENAI_EMBEDDING_DIMENSIONS);
      expect(dot(v, v)).toBeCloseTo(1, 5);
    }
    const requests = await log();
    expect(requests.map((r) => r.body.input.length)).toEqual([100, 100, 50]);
    expect(requests[0]?.body).toMatchObject({ model: OPENAI_EMBEDDING_MODEL, encoding_format: "float" });
    expect(requests[0]?.headers.authorization).toBe("Bearer sk-test");
    expect(requests[2]?.body.input[49]).toBe("refund question number 249");
    // The 250th vector is the 250th text's: identical text, identical vector.
    const [again] = await embedder.embed(["refund question number 249"]);
    expect(dot(again ?? new Float32Array(), vectors[249] ?? new Float32Array())).toBeCloseTo(1, 5);
  });

  it("decodes base64 float32 embeddings to the same vectors as float ones", async () => {
    const texts = ["How do refunds work?", "Where is my order?"];
    const asFloat = await fakeOpenAI("ok", { encoding: "float" }).embedder.embed(texts);
    const { embedder, log } = fakeOpenAI("ok", { encoding: "base64" });
    const asBase64 = await embedder.embed(texts);
    expect((await log())[0]?.body.encoding_format).toBe("base64");
    expect(asBase64).toEqual(asFloat);
  });

  it("never sends blank texts, which the API refuses, and gives them the zero vector", async () => {
    const { embedder, log } = fakeOpenAI("ok");
    const [blank, text, empty] = await embedder.embed(["  ", "refund policy", ""]);
    expect((await log()).map((r) => r.body.input)).toEqual([["refund policy"]]);
    expect(blank?.every((x) => x === 0)).toBe(true);
    expect(empty?.every((x) => x === 0)).toBe(true);
    expect(dot(text ?? new Float32Array(), text ?? new Float32Array())).toBeCloseTo(1, 5);
    expect(await embedder.embed([])).toEqual([]);
    expect(await fakeOpenAI("ok").embedder.embed(["\n"])).toHaveLength(1);
  });

  it("reports provider failures as ModelError, retryable or not", async () => {
    const limited = await fakeOpenAI("429").embedder.embed(["refund"]).catch((err: unknown) => err);
    expect(limited).toBeInstanceOf(ModelError);
    expect(limited).toMatchObject({ kind: "rate_limited", retryable: true, model: "openai:text-embedding-3-small" });

    const denied = await fakeOpenAI("401").embedder.embed(["refund"]).catch((err: unknown) => err);
    expect(denied).toMatchObject({ kind: "auth", retryable: false });
  });
});
