import { describe, expect, it } from "vitest";
import { estimateChatTokens, estimateTokens } from "./tokens";

describe("token estimates", () => {
  it("count the tool calls an assistant turn carries, not only its text", () => {
    const text = [{ role: "assistant" as const, content: "Let me check." }];
    const withCall = [
      {
        role: "assistant" as const,
        content: "Let me check.",
        tool_calls: [{ call_id: "c1", name: "lookup_order", arguments: { order_id: "A-1001", include: "tracking history" } }],
      },
    ];
    const args = JSON.stringify({ order_id: "A-1001", include: "tracking history" });
    expect(estimateChatTokens(withCall) - estimateChatTokens(text)).toBe(estimateTokens(`lookup_order${args}`));
  });
});
