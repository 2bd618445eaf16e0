import type { ModelPolicy } from "../../../schema/api";
import { createLogger, type Logger } from "../lib/logger";
import { isModelAllowed } from "./allowed-models";
import { AnthropicChatModel } from "./anthropic";
import type { ChatModel } from "./chat-model";
import { EXTRACTIVE_MODEL, ExtractiveChatModel } from "./extractive";
import { FallbackChatModel } from "./fallback";
import { OpenAIChatModel } from "./openai";
import { routeModel, type Route } from "./router";
import { WorkersAIChatModel, type AiRunner } from "./workers-ai";

/**
 * The `ChatModel` for one question, built from configuration: the deployment's `CHAT_MODEL`,
 * the assistant's `model_policy`, and whichever provider keys and bindings exist. Model names
 * are `extractive`, `openai:<model>`, `anthropic:<model>` or `workers-ai:<model>`.
 */

/** The bindings and secrets the model layer reads. */
export type ChatModelEnv = Partial<
  Pick<Env, "CHAT_MODEL" | "OPENAI_API_KEY" | "OPENAI_BASE_URL" | "ANTHROPIC_API_KEY" | "ANTHROPIC_BASE_URL">
> & { AI?: AiRunner };

/** The providers a model name can start with. */
export type Provider = "extractive" | "openai" | "anthropic" | "workers-ai";

const PROVIDERS: readonly Provider[] = ["extractive", "openai", "anthropic", "workers-ai"];

/** Tuning of the models built, mainly for tests. */
export interface RegistryOptions {
  timeoutMs?: number;
  maxRetryAfterMs?: number;
  logger?: Logger;
  /**
   * The deployment's allow-list for this workspace (`allowedModels`); a model outside it is
   * skipped and never built. Unset only where no tenant chose the models (tests, tools).
   */
  allowedModels?: readonly string[];
}

/** A model left out of the chain, and why. */
export interface SkippedModel {
  model: string;
  reason: "unknown_provider" | "missing_key" | "missing_binding" | "not_allowed";
}

/** The chain planned for a question, before any model is built. */
export interface ModelPlan {
  route: Route;
  /** Model names in the order they will be tried, available ones only. */
  chain: string[];
  skipped: SkippedModel[];
}

/** `openai:gpt-4o-mini` as its provider and model id; undefined when not a known provider. */
export function parseModelName(name: string): { provider: Provider; model: string } | undefined {
  const trimmed = name.trim();
  if (trimmed === EXTRACTIVE_MODEL) return { provider: "extractive", model: EXTRACTIVE_MODEL };
  const colon = trimmed.indexOf(":");
  if (colon === -1) return undefined;
  // Split at the first colon only: model ids may hold more (`openai:llama3.1:8b` on Ollama).
  const provider = PROVIDERS.find((p) => p === trimmed.slice(0, colon));
  const model = trimmed.slice(colon + 1);
  return provider && provider !== "extractive" && model ? { provider, model } : undefined;
}

/** Why the model named `name` cannot be used with `env`, or undefined when it can. */
function unavailable(name: string, env: ChatModelEnv): SkippedModel["reason"] | undefined {
  const parsed = parseModelName(name);
  if (!parsed) return "unknown_provider";
  if (parsed.provider === "openai" && !env.OPENAI_API_KEY) return "missing_key";
  if (parsed.provider === "anthropic" && !env.ANTHROPIC_API_KEY) return "missing_key";
  if (parsed.provider === "workers-ai" && !env.AI) return "missing_binding";
  return undefined;
}

/**
 * The models to try for `question`, in order: the routed model (cheap or strong tier, else the
 * primary), the policy's primary, its fallbacks, the deployment's `CHAT_MODEL`, and `extractive`
 * last. Extractive closes every chain because it needs no network and cannot be rate-limited: a
 * grounded excerpt, or an honest "I couldn't find this", beats an error when every provider is
 * down. Unavailable models (unknown provider, missing key or binding) are skipped, and so are
 * models outside `allowed` when it is given (a stored policy the deployment no longer allows).
 */
export function planModels(env: ChatModelEnv, policy: ModelPolicy, question: string, allowed?: readonly string[]): ModelPlan {
  const deploymentDefault = env.CHAT_MODEL?.trim() || EXTRACTIVE_MODEL;
  const route = routeModel(policy, question, deploymentDefault);
  const wanted = [route.model, policy.primary, ...(policy.fallback ?? []), deploymentDefault, EXTRACTIVE_MODEL];
  const chain: string[] = [];
  const skipped: SkippedModel[] = [];
  for (const raw of wanted) {
    const name = raw?.trim();
    if (!name || chain.includes(name) || skipped.some((s) => s.model === name)) continue;
    const reason = allowed && !isModelAllowed(name, allowed) ? "not_allowed" : unavailable(name, env);
    if (reason) skipped.push({ model: name, reason });
    else chain.push(name);
  }
  return { route, chain, skipped };
}

/** The model named `name`, set up from `env` and `policy`; undefined when it cannot be used. */
export function buildModel(
  name: string,
  env: ChatModelEnv,
  policy: ModelPolicy = {},
  options: RegistryOptions = {},
): ChatModel | undefined {
  const parsed = parseModelName(name);
  if (!parsed || unavailable(name, env)) return undefined;
  if (options.allowedModels && !isModelAllowed(name, options.allowedModels)) return undefined;
  const tuning = { timeoutMs: options.timeoutMs, temperature: policy.temperature, maxTokens: policy.max_tokens };
  switch (parsed.provider) {
    case "extractive":
      return new ExtractiveChatModel();
    case "openai":
      return new OpenAIChatModel({ apiKey: env.OPENAI_API_KEY ?? "", baseURL: env.OPENAI_BASE_URL, model: parsed.model, ...tuning });
    case "anthropic":
      return new AnthropicChatModel({
        apiKey: env.ANTHROPIC_API_KEY ?? "",
        baseURL: env.ANTHROPIC_BASE_URL,
        model: parsed.model,
        ...tuning,
      });
    case "workers-ai":
      return env.AI ? new WorkersAIChatModel({ ai: env.AI, model: parsed.model, ...tuning }) : undefined;
  }
}

/**
 * The `ChatModel` that answers `question` for an assistant with `policy`: a fallback chain of
 * the planned models, or the single model when only one is available. With no secrets at all it
 * is `extractive`.
 */
export function createChatModel(
  env: ChatModelEnv,
  policy: ModelPolicy = {},
  question = "",
  options: RegistryOptions = {},
): ChatModel {
  const logger = options.logger ?? createLogger({ component: "llm.registry" });
  const plan = planModels(env, policy, question, options.allowedModels);
  if (plan.skipped.length > 0) logger.warn("models skipped", { skipped: plan.skipped });
  const models = plan.chain.flatMap((name) => buildModel(name, env, policy, options) ?? []);
  if (models.length === 1 && models[0]) return models[0];
  return new FallbackChatModel(models, { maxRetryAfterMs: options.maxRetryAfterMs, logger });
}
