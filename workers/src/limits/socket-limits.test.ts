import { describe, expect, it } from "vitest";
import { CONVERSATION_MESSAGES_PER_MINUTE, socketMessageChecks, WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN } from "./socket-limits";

const who = { conversationId: "conv_1", visitorSubject: "visitor:ws_1:ip:key_pk:203.0.113.7" };

describe("socket message limits", () => {
  it("checks the conversation, the workspace by plan, the visitor and the model budget in one batch", () => {
    const checks = socketMessageChecks(who, "pro", {});
    expect(checks.map((c) => [c.subject, c.windows.map((w) => [w.name, w.limit]), c.checkOnly ?? false])).toEqual([
      ["conversation:conv_1", [["conversation", CONVERSATION_MESSAGES_PER_MINUTE]], false],
      ["workspace", [["workspace", WORKSPACE_MESSAGES_PER_MINUTE_BY_PLAN.pro]], false],
      ["visitor:ws_1:ip:key_pk:203.0.113.7", [["visitor", 60]], false],
      ["model", [["model_tokens", 20_000_000]], true],
    ]);
  });

  it("lets variables change or switch off each limit", () => {
    const checks = socketMessageChecks(who, "starter", {
      RATE_LIMIT_CONVERSATION_MESSAGES_PER_MINUTE: "3",
      RATE_LIMIT_WORKSPACE_MESSAGES_PER_MINUTE: "off",
      RATE_LIMIT_VISITOR_BURST_PER_MINUTE: "off",
      MODEL_TOKEN_BUDGET_STARTER: "off",
    });
    expect(checks).toEqual([{ subject: "conversation:conv_1", windows: [expect.objectContaining({ name: "conversation", limit: 3 })] }]);
  });
});
