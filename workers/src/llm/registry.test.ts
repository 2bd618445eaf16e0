import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Logger } from "../lib/logger";
import type { AiRunner } from "./workers-ai";
import { FallbackChatModel } from "./fallback";
import { buildModel, createChatModel, parseModelName, planModels } from "./registry";
import { collect, fakeScenario, sampleRequest } from "../../test/llm-helpers";

const quiet: Logger = { info() {}, warn() {}, error() {}, with: () => quiet };
const ai: AiRunner = { run: async () => ({ response: "ok" }) };
const ALL_KEYS = { OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test", AI: ai };

describe("registry", () => {
  it("is the extractive model in the default deployment, with no secrets", async () => {
    const model = createChatModel(env, {}, "How long do refunds take?", { logger: quiet });
    expect(model.name).toBe("extractive");
    const out = await collect(model.stream(sampleRequest("How long do refunds take?")));
    expect(out.done?.model).toBe("extractive");
  });

  it("is the extractive model with no configuration at all", () => {
    expect(createChatModel({}, undefined, undefined, { logger: quiet }).name).toBe("extractive");
  });

  it("skips providers whose keys or binding are missing", () => {
    const plan = planModels(
      { CHAT_MODEL: "extractive" },
      { primary: "openai:gpt-4o-mini", fallback: ["anthropic:claude-3-5-haiku-latest", "workers-ai:@cf/meta/llama-3.1-8b-instruct"] },
      "refunds?",
    );
    expect(plan.chain).toEqual(["extractive"]);
    expect(plan.skipped).toEqual([
      { model: "openai:gpt-4o-mini", reason: "missing_key" },
      { model: "anthropic:claude-3-5-haiku-latest", reason: "missing_key" },
      { model: "workers-ai:@cf/meta/llama-3.1-8b-instruct", reason: "missing_binding" },
    ]);
  });

  it("chains routed model, primary, fallbacks, deployment default and extractive, without repeats", () => {
    const policy = {
      primary: "openai:gpt-4o-mini",
      cheap: "workers-ai:@cf/meta/llama-3.1-8b-instruct",
      strong: "anthropic:claude-sonnet-4-5",
      fallback: ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest", "mystery:model"],
    };
    const env = { ...ALL_KEYS, CHAT_MODEL: "openai:gpt-4.1-mini" };
    expect(planModels(env, policy, "Do you ship to Canada?").chain).toEqual([
      "workers-ai:@cf/meta/llama-3.1-8b-instruct",
      "openai:gpt-4o-mini",
      "anthropic:claude-3-5-haiku-latest",
      "openai:gpt-4.1-mini",
      "extractive",
    ]);
    const complex = planModels(env, policy, "Why is Pro more expensive? What's the difference?");
    expect(complex.route.tier).toBe("strong");
    expect(complex.chain[0]).toBe("anthropic:claude-sonnet-4-5");
    expect(complex.skipped).toEqual([{ model: "mystery:model", reason: "unknown_provider" }]);
  });

  it("builds each provider from its name", () => {
    expect(buildModel("openai:llama3.1:8b", ALL_KEYS)?.name).toBe("openai:llama3.1:8b");
    expect(buildModel("anthropic:claude-3-5-haiku-latest", ALL_KEYS)?.name).toBe("anthropic:claude-3-5-haiku-latest");
    expect(buildModel("workers-ai:@cf/meta/llama-3.1-8b-instruct", ALL_KEYS)?.name).toBe("workers-ai:@cf/meta/llama-3.1-8b-instruct");
    expect(buildModel("extractive", {})?.name).toBe("extractive");
    expect(buildModel("openai:gpt-4o-mini", {})).toBeUndefined();
    expect(parseModelName("openai:")).toBeUndefined();
    expect(parseModelName("gpt-4o")).toBeUndefined();
    expect(parseModelName(" workers-ai:@cf/x ")).toEqual({ provider: "workers-ai", model: "@cf/x" });
  });

  it("answers from extractive when the configured provider is failing", async () => {
    const fake = fakeScenario("500");
    const model = createChatModel(
      { CHAT_MODEL: "openai:gpt-4o-mini", OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: fake.openaiBaseURL },
      { temperature: 0.4, max_tokens: 200 },
      "How long do refunds take?",
      { logger: quiet },
    );
    expect(model).toBeInstanceOf(FallbackChatModel);
    expect(model.name).toBe("openai:gpt-4o-mini > extractive");
    const out = await collect(model.stream(sampleRequest("How long do refunds take?")));
    expect(out.done?.model).toBe("extractive");
    const [sent] = await fake.requests();
    expect(sent?.body).toMatchObject({ temperature: 0.4, max_tokens: 200 });
  });
});
