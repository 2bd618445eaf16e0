/**
 * Which models an assistant's `model_policy` may name: a deployment allow-list, per plan if the
 * operator wishes, since every model runs on the operator's provider keys. Checked when a policy
 * is saved (400 listing what is allowed) and again when a question is answered, where a stored
 * model that is no longer allowed is skipped as if it had no key, so the chain falls back to the
 * deployment's `CHAT_MODEL` and `extractive`.
 *
 * Entries are model names (`openai:gpt-4o-mini`), a provider wildcard (`openai:*`, e.g. for a
 * self-hosted OpenAI-compatible server) or `*` (anything). `extractive` and the deployment's own
 * `CHAT_MODEL` are always allowed: they are where every chain falls back to.
 */
import type { ModelPolicy } from "../../../schema/api";
import type { Plan } from "../billing/plans";
import { EXTRACTIVE_MODEL } from "./extractive";
import { DEFAULT_PROVIDER_MODELS } from "./provider-defaults";

/** Variables naming the allowed models: comma- or whitespace-separated lists. */
export type AllowedModelsVars = Partial<
  Record<"ALLOWED_MODELS" | "ALLOWED_MODELS_STARTER" | "ALLOWED_MODELS_PRO" | "ALLOWED_MODELS_ENTERPRISE" | "CHAT_MODEL", string>
>;

const PLAN_VARIABLE: Readonly<Record<Plan, keyof AllowedModelsVars>> = {
  starter: "ALLOWED_MODELS_STARTER",
  pro: "ALLOWED_MODELS_PRO",
  enterprise: "ALLOWED_MODELS_ENTERPRISE",
};

/** The allow-list when the deployment sets none: the offline model and each provider's default. */
export const DEFAULT_ALLOWED_MODELS: readonly string[] = [EXTRACTIVE_MODEL, ...DEFAULT_PROVIDER_MODELS];

function parseList(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The allow-list for a workspace on `plan`: `ALLOWED_MODELS_<PLAN>`, else `ALLOWED_MODELS`, else
 * the default; always with `extractive` and the deployment's `CHAT_MODEL`. An unknown plan (null)
 * reads the starter list.
 */
export function allowedModels(vars: AllowedModelsVars, plan: Plan | null): string[] {
  const perPlan = parseList(vars[PLAN_VARIABLE[plan ?? "starter"]]);
  const shared = parseList(vars.ALLOWED_MODELS);
  const listed = perPlan.length > 0 ? perPlan : shared.length > 0 ? shared : DEFAULT_ALLOWED_MODELS;
  const always = [EXTRACTIVE_MODEL, vars.CHAT_MODEL?.trim() || EXTRACTIVE_MODEL];
  return [...new Set([...always, ...listed])];
}

/** True when `model` matches an entry of `allowed` (exactly, by `provider:*`, or `*`). */
export function isModelAllowed(model: string, allowed: readonly string[]): boolean {
  const name = model.trim();
  return allowed.some((entry) => entry === "*" || entry === name || (entry.endsWith(":*") && name.startsWith(entry.slice(0, -1))));
}

/** Every model a policy names (primary, fallbacks, cheap, strong) that `allowed` does not, without repeats. */
export function disallowedModels(policy: ModelPolicy, allowed: readonly string[]): string[] {
  const named = [policy.primary, ...(policy.fallback ?? []), policy.cheap, policy.strong].flatMap((m) => (m?.trim() ? [m.trim()] : []));
  return [...new Set(named.filter((m) => !isModelAllowed(m, allowed)))];
}
