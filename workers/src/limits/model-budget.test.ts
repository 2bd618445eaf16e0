import { describe, expect, it } from "vitest";
import { modelBudgetCheck, modelTokenBudget, MODEL_TOKEN_BUDGET_BY_PLAN } from "./model-budget";

describe("model-token budget", () => {
  it("follows the plan, lets a variable override it or switch it off, and holds an unknown plan to the smallest", () => {
    expect(modelTokenBudget("pro", {})).toBe(MODEL_TOKEN_BUDGET_BY_PLAN.pro);
    expect(modelTokenBudget("starter", { MODEL_TOKEN_BUDGET_STARTER: "5000" })).toBe(5_000);
    expect(modelTokenBudget("pro", { MODEL_TOKEN_BUDGET_PRO: "off" })).toBeNull();
    expect(modelTokenBudget("enterprise", { MODEL_TOKEN_BUDGET_ENTERPRISE: "not a number" })).toBe(MODEL_TOKEN_BUDGET_BY_PLAN.enterprise);
    expect(modelTokenBudget(null, {})).toBe(MODEL_TOKEN_BUDGET_BY_PLAN.starter);
  });

  it("is a check-only window over 30 days, absent when unlimited", () => {
    expect(modelBudgetCheck("starter", { MODEL_TOKEN_BUDGET_STARTER: "100" })).toMatchObject({
      subject: "model",
      checkOnly: true,
      windows: [{ name: "model_tokens", limit: 100, windowMs: 30 * 24 * 3600 * 1000 }],
    });
    expect(modelBudgetCheck("enterprise", {})).toBeNull();
  });
});
