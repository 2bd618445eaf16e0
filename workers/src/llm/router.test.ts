import { describe, expect, it } from "vitest";
import { assessComplexity, routeModel } from "./router";

const POLICY = { primary: "openai:gpt-4o-mini", cheap: "workers-ai:@cf/meta/llama-3.1-8b-instruct", strong: "anthropic:claude-sonnet-4-5" };

describe("complexity", () => {
  it.each([
    "How long do refunds take?",
    "Do you ship to Canada?",
    "How do I return an item I bought last week?",
    "Can I select a different plan?",
    "Where is my order 10482?",
    "Why was I charged?", // one signal alone stays cheap
  ])("keeps a simple question cheap: %s", (question) => {
    expect(assessComplexity(question).tier).toBe("cheap");
  });

  it.each([
    ["What's the difference between Pro and Team? And why would I pick one?", ["multiple_questions", "reasoning"]],
    ["Compare the annual plan at $240 with 12 monthly payments of $25: how much do I save?", ["reasoning", "numbers"]],
    ["Explain why my webhook fails with `TypeError: fetch failed` when I call it", ["reasoning", "code"]],
    ["¿Por qué falla el pago? ¿Y cuál es la diferencia entre las tarjetas?", ["multiple_questions", "reasoning"]],
  ] as const)("sends a complex question to the strong tier: %s", (question, signals) => {
    const result = assessComplexity(question);
    expect(result.tier).toBe("strong");
    expect(result.signals).toEqual(signals);
  });

  it("counts a pasted wall of text twice", () => {
    const result = assessComplexity(`My order arrived broken. ${"It was packed badly and the box was wet. ".repeat(20)}`);
    expect(result.signals).toContain("very_long");
    expect(result.score).toBeGreaterThanOrEqual(2);
    expect(result.tier).toBe("strong");
  });

  it("spots code and stack traces", () => {
    expect(assessComplexity("I ran curl -X POST and got HTTP/1.1 500").signals).toContain("code");
    expect(assessComplexity("Traceback (most recent call last):").signals).toContain("code");
    expect(assessComplexity("const client = new Client() throws").signals).toContain("code");
  });
});

describe("routing", () => {
  it("sends simple questions to the cheap model and complex ones to the strong model", () => {
    expect(routeModel(POLICY, "Do you ship to Canada?", "extractive")).toMatchObject({ model: POLICY.cheap, tier: "cheap" });
    expect(routeModel(POLICY, "Why is Pro more expensive? What's the difference?", "extractive")).toMatchObject({
      model: POLICY.strong,
      tier: "strong",
    });
  });

  it("uses the primary when the policy has no model for the tier", () => {
    expect(routeModel({ primary: "openai:gpt-4o-mini", strong: "openai:gpt-4o" }, "Do you ship to Canada?", "extractive").model).toBe(
      "openai:gpt-4o-mini",
    );
    expect(routeModel({ primary: "openai:gpt-4o-mini", cheap: "openai:gpt-4.1-nano" }, "Why? And how?", "extractive").model).toBe(
      "openai:gpt-4o-mini",
    );
  });

  it("uses the deployment default when the policy names nothing", () => {
    expect(routeModel({}, "Why? And how?", "extractive").model).toBe("extractive");
  });
});
