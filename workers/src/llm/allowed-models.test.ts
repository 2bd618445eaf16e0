import { describe, expect, it } from "vitest";
import { allowedModels, DEFAULT_ALLOWED_MODELS, disallowedModels, isModelAllowed } from "./allowed-models";
import { planModels } from "./registry";

describe("model allow-list", () => {
  it("allows the offline model and each provider's default model when the deployment names none", () => {
    expect(allowedModels({}, "pro")).toEqual(DEFAULT_ALLOWED_MODELS);
    expect(DEFAULT_ALLOWED_MODELS).toEqual(["extractive", "openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "workers-ai:@cf/meta/llama-3.1-8b-instruct"]);
  });

  it("reads the plan's list first, then the shared one, and always keeps extractive and the deployment default", () => {
    const vars = { ALLOWED_MODELS: "openai:gpt-4o-mini", ALLOWED_MODELS_ENTERPRISE: "openai:*, anthropic:claude-sonnet-4-5", CHAT_MODEL: "anthropic:claude-3-5-haiku-latest" };
    expect(allowedModels(vars, "starter")).toEqual(["extractive", "anthropic:claude-3-5-haiku-latest", "openai:gpt-4o-mini"]);
    expect(allowedModels(vars, null)).toEqual(allowedModels(vars, "starter"));
    expect(allowedModels(vars, "enterprise")).toEqual(["extractive", "anthropic:claude-3-5-haiku-latest", "openai:*", "anthropic:claude-sonnet-4-5"]);
  });

  it("matches exact names, provider wildcards and the catch-all, and nothing looser", () => {
    expect(isModelAllowed("openai:gpt-4o", ["openai:*"])).toBe(true);
    expect(isModelAllowed("openai:gpt-4o", ["openai:gpt-4o-mini"])).toBe(false);
    expect(isModelAllowed("openaix:gpt-4o", ["openai:*"])).toBe(false);
    expect(isModelAllowed("anything:at-all", ["*"])).toBe(true);
  });

  it("names every model of a policy outside the list, once", () => {
    const policy = { primary: "openai:gpt-4o", fallback: ["openai:gpt-4o", "extractive"], cheap: "openai:gpt-4o-mini", strong: "anthropic:claude-opus-4" };
    expect(disallowedModels(policy, DEFAULT_ALLOWED_MODELS)).toEqual(["openai:gpt-4o", "anthropic:claude-opus-4"]);
  });

  it("skips a stored model outside the list when planning an answer, falling back to the deployment default", () => {
    const env = { OPENAI_API_KEY: "sk-test", CHAT_MODEL: "openai:gpt-4o-mini" };
    const plan = planModels(env, { primary: "openai:gpt-4o" }, "refunds?", allowedModels(env, "starter"));
    expect(plan.chain).toEqual(["openai:gpt-4o-mini", "extractive"]);
    expect(plan.skipped).toEqual([{ model: "openai:gpt-4o", reason: "not_allowed" }]);
  });
});
