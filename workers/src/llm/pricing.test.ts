import { describe, expect, it } from "vitest";
import { estimateCostUsd, priceOf } from "./pricing";
import { estimateChatTokens, estimateTokens } from "./tokens";

describe("pricing", () => {
  it("prices usage per million tokens", () => {
    // 10k in × $0.15/M + 2k out × $0.60/M
    expect(estimateCostUsd("openai:gpt-4o-mini", { input_tokens: 10_000, output_tokens: 2_000 })).toBeCloseTo(0.0027, 9);
    expect(estimateCostUsd("anthropic:claude-3-5-haiku-latest", { input_tokens: 1_000_000, output_tokens: 0 })).toBe(0.8);
    expect(estimateCostUsd("extractive", { input_tokens: 5_000, output_tokens: 100 })).toBe(0);
  });

  it("prices dated snapshots by their longest known prefix", () => {
    expect(priceOf("openai:gpt-4o-mini-2024-07-18")).toEqual(priceOf("openai:gpt-4o-mini"));
    expect(priceOf("openai:gpt-4o-2024-08-06")).toEqual(priceOf("openai:gpt-4o"));
  });

  it("has no price for a model it does not know", () => {
    expect(estimateCostUsd("openai:llama3.1:8b", { input_tokens: 100, output_tokens: 100 })).toBeNull();
  });
});

describe("token estimates", () => {
  it("counts about four characters per token, one per CJK character", () => {
    expect(estimateTokens("")).toBe(0);
    expect(estimateTokens("Refunds take five days.")).toBe(6);
    expect(estimateTokens("返金は五日")).toBe(5);
  });

  it("adds each message's overhead to a prompt", () => {
    expect(
      estimateChatTokens([
        { role: "system", content: "Be brief." },
        { role: "user", content: "Refunds?" },
      ]),
    ).toBe(4 + 3 + 4 + 2);
  });
});
