import { describe, expect, it } from "vitest";
import { ExtractiveChatModel, NO_ANSWER, extractAnswer, noAnswerText, wordGroups } from "./extractive";
import { ModelError } from "./model-error";
import { PASSAGES, collect, sampleRequest } from "./test-support";

const model = new ExtractiveChatModel();

describe("extractive model", () => {
  it("answers with the passage's own sentences and cites it", async () => {
    const out = await collect(model.stream(sampleRequest("How long do refunds take?")));
    expect(out.error).toBeUndefined();
    expect(out.text).toContain("Refunds are processed within 5 business days after we receive the item.");
    expect(out.text).toMatch(/\[1\]\.$/);
    expect(out.text).not.toMatch(/\[2\]|\[3\]|ship/i);
    expect(out.done).toEqual({
      type: "done",
      model: "extractive",
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), estimated: true },
      finish_reason: "stop",
    });
    expect(out.done?.usage.output_tokens).toBeGreaterThan(0);
  });

  it("keeps the chosen sentences in passage order, each group with its own marker", () => {
    const answer = extractAnswer("What is the refund policy for express shipping?", PASSAGES);
    expect(answer).not.toBeNull();
    expect(answer).toContain("Express shipping arrives the next business day [2].");
    expect(answer?.indexOf("[1]")).toBeGreaterThan(0);
    expect(answer?.indexOf("[1]")).toBeLessThan(answer?.indexOf("[2]") ?? -1);
  });

  it("never quotes a heading or an FAQ's question as an answer", () => {
    const answer = extractAnswer("How do I ask for a refund?", PASSAGES) ?? "";
    expect(answer).toContain("Open the Orders page and choose Request refund next to the item");
    expect(answer).not.toContain("?");
    expect(answer).not.toContain("#");
  });

  it("says plainly that it does not know when there are no passages", async () => {
    const out = await collect(model.stream(sampleRequest("How long do refunds take?", { passages: [] })));
    expect(out.text).toBe("I couldn't find this in our help articles.");
    expect(out.done?.finish_reason).toBe("stop");
  });

  it("says it does not know when no passage answers the question", async () => {
    const out = await collect(model.stream(sampleRequest("What's the weather like in Paris today?")));
    expect(out.text).toBe(NO_ANSWER.en);
  });

  it("does not answer from a passage that shares only a minor word with the question", () => {
    // "account" appears, but nothing about deleting one.
    expect(extractAnswer("How do I permanently delete my account?", PASSAGES)).toBeNull();
  });

  it("refuses in the visitor's language", async () => {
    const es = await collect(model.stream(sampleRequest("¿Cuál es el horario de la tienda?", { passages: [], language: "es" })));
    expect(es.text).toBe(NO_ANSWER.es);
    expect(noAnswerText("pt-BR")).toBe(NO_ANSWER.pt);
    expect(noAnswerText("fr")).toBe(NO_ANSWER.fr);
    expect(noAnswerText("de-AT")).toBe(NO_ANSWER.de);
    expect(noAnswerText("ja")).toBe(NO_ANSWER.en);
    expect(noAnswerText(undefined)).toBe(NO_ANSWER.en);
  });

  it("matches across accents and plurals", () => {
    const passages = [{ ...PASSAGES[0]!, content: "Las devoluciones se procesan en cinco días hábiles." }];
    expect(extractAnswer("¿Cómo funciona una devolución?", passages)).toBe(
      "Las devoluciones se procesan en cinco días hábiles [1].",
    );
  });

  it("streams small word groups that add up to the answer, the same every time", async () => {
    const first = await collect(model.stream(sampleRequest("What is the refund policy for express shipping?")));
    const second = await collect(model.stream(sampleRequest("What is the refund policy for express shipping?")));
    expect(second).toEqual(first);
    expect(first.deltas.length).toBeGreaterThan(3);
    for (const delta of first.deltas) expect(delta.trim().split(/\s+/).length).toBeLessThanOrEqual(3);
    expect(first.deltas.join("")).toBe(first.text);
    expect(wordGroups("one two three four")).toEqual(["one two three ", "four"]);
  });

  it("stops at maxTokens and says so", async () => {
    const out = await collect(model.stream(sampleRequest("What is the refund policy for express shipping?", { maxTokens: 5 })));
    expect(out.done?.finish_reason).toBe("length");
    expect(out.done?.usage.output_tokens).toBeLessThanOrEqual(5);
  });

  it("stops when the signal fires", async () => {
    const controller = new AbortController();
    const out = await collect(
      model.stream(sampleRequest("What is the refund policy for express shipping?", { signal: controller.signal })),
      () => controller.abort(),
    );
    expect(out.deltas).toHaveLength(1);
    expect(out.done).toBeUndefined();
    expect(out.error).toBeInstanceOf(ModelError);
    expect(out.error?.kind).toBe("aborted");
    expect(out.error?.retryable).toBe(false);
  });
});
