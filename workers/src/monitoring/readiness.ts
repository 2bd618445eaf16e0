/**
 * The dependency probes behind `/readyz` and the alerts: D1, R2, the vector store, the analytics
 * store and the deployment's model provider, each bounded in time. A failure is reported to the
 * caller's `onFailure` with the dependency's own words; the result says only pass or fail.
 */
import { createAnalyticsSink } from "../analytics/create-sink";
import { parseModelName } from "../llm/registry";

const CHECK_TIMEOUT_MS = 2_000; // a dependency slower than this is not ready
const OPENAI_API = "https://api.openai.com/v1";
const ANTHROPIC_API = "https://api.anthropic.com";
const ANTHROPIC_VERSION = "2023-06-01";

/** One check as anyone may see it: its name and whether it passed, nothing more. */
export interface CheckResult {
  name: string;
  ok: boolean;
}

/** Told about each failed check, with the reason (for the log, never the response). */
export type OnCheckFailure = (name: string, error: unknown) => void;

/** Runs one check within `CHECK_TIMEOUT_MS`. */
export async function probe(name: string, check: () => Promise<unknown>, onFailure: OnCheckFailure): Promise<CheckResult> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (err) {
    onFailure(name, err);
    return { name, ok: false };
  } finally {
    clearTimeout(timer);
  }
}

/** The storage checks of `/readyz`: D1, R2, the vector store and the analytics store. */
export function dependencyChecks(env: Env, onFailure: OnCheckFailure): Promise<CheckResult[]> {
  return Promise.all([
    probe("d1", () => env.DB.prepare("select 1").first(), onFailure),
    probe("r2", () => env.FILES.head("readyz-probe"), onFailure),
    probe(
      "vector_store",
      async () => {
        if (env.VECTOR_STORE === "vectorize") {
          if (!env.VECTORIZE) throw new Error("VECTOR_STORE is vectorize but no VECTORIZE binding");
          await env.VECTORIZE.describe();
        } else {
          env.VECTOR_INDEX.idFromName("readyz");
        }
      },
      onFailure,
    ),
    probe("analytics", () => createAnalyticsSink(env).ping(), onFailure),
  ]);
}

/**
 * The deployment's model provider (`CHAT_MODEL`) answering its model list, which costs no
 * tokens: OpenAI or Anthropic with their keys. Null when there is nothing to call (the offline
 * extractive model, Workers AI, or a provider without a key, which the answers skip anyway).
 */
export function modelProviderCheck(env: Env, onFailure: OnCheckFailure): Promise<CheckResult> | null {
  const provider = parseModelName(env.CHAT_MODEL ?? "")?.provider;
  if (provider === "openai" && env.OPENAI_API_KEY) {
    const key = env.OPENAI_API_KEY;
    const base = (env.OPENAI_BASE_URL || OPENAI_API).replace(/\/+$/, "");
    return probe("model_provider", () => expectOk(fetch(`${base}/models`, { headers: { Authorization: `Bearer ${key}` } })), onFailure);
  }
  if (provider === "anthropic" && env.ANTHROPIC_API_KEY) {
    const key = env.ANTHROPIC_API_KEY;
    const base = (env.ANTHROPIC_BASE_URL || ANTHROPIC_API).replace(/\/+$/, "");
    return probe(
      "model_provider",
      () => expectOk(fetch(`${base}/v1/models`, { headers: { "x-api-key": key, "anthropic-version": ANTHROPIC_VERSION } })),
      onFailure,
    );
  }
  return null;
}

/** Fails unless the response is a 2xx; the body is drained either way. */
async function expectOk(response: Promise<Response>): Promise<void> {
  const res = await response;
  await res.body?.cancel();
  if (!res.ok) throw new Error(`answered ${res.status}`);
}
