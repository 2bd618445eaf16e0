import { and, asc, eq, isNull } from "drizzle-orm";
import type { Source } from "../../../schema/protocol";
import { emitEvent } from "../analytics/consumer";
import { checkModelBudget } from "../limits/model-budget";
import { ApiError, notFound } from "../lib/errors";
import { newId, randomBase62 } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { ChatMessage } from "../llm/chat-model";
import { createDb, schema } from "../storage/db";
import { generateAnswer } from "./answer";
import { loadAnsweringAssistant } from "./assistant-config";
import { detectLanguage } from "./language";
import { sanitizeMessage } from "./sanitize";

/** One message of the OpenAI request shape. */
export interface CompletionMessage {
  role: "system" | "developer" | "user" | "assistant" | "tool";
  content: string | { type: string; text?: string | undefined }[] | null;
}

/** A stateless chat completion against an assistant's knowledge. */
export interface CompletionRequest {
  assistantId: string;
  messages: CompletionMessage[];
  temperature?: number | undefined;
  maxTokens?: number | undefined;
}

/** How a completion ended, in OpenAI's terms plus what grounded it. */
export interface CompletionOutcome {
  finishReason: "stop" | "length" | "content_filter";
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  sources: Source[];
  confidence: number;
}

/**
 * Longest client instructions (the text of every `system` and `developer` message together), in
 * characters: about 2,000 tokens, room for a framework's usual preamble, while the assistant's
 * own system prompt carries the real instructions. Each call pays for them in the model budget.
 */
export const MAX_CLIENT_SYSTEM_CHARS = 8_000;

/** A `chatcmpl-…` id like OpenAI's. */
export function chatCompletionId(): string {
  return `chatcmpl-${randomBase62(24)}`;
}

function textOf(content: CompletionMessage["content"]): string {
  if (content === null) return "";
  if (typeof content === "string") return content;
  return content.flatMap((p) => (p.type === "text" && p.text ? [p.text] : [])).join("\n");
}

/**
 * Answers the last user message of an OpenAI-shaped request from the assistant's knowledge,
 * with the earlier turns as history. Client system messages (at most `MAX_CLIENT_SYSTEM_CHARS`,
 * else 400) are added to the assistant's own system prompt. The workspace's model budget is
 * asked before anything streams, so a refusal is a plain 429. Yields deltas; returns the outcome.
 */
export async function answerCompletion(env: Env, workspaceId: string, req: CompletionRequest, signal?: AbortSignal) {
  const assistant = await loadAnsweringAssistant(env.DB, workspaceId, req.assistantId);
  if (!assistant) throw notFound("model");
  const extraInstructions = req.messages
    .filter((m) => m.role === "system" || m.role === "developer")
    .map((m) => textOf(m.content))
    .join("\n");
  if (extraInstructions.length > MAX_CLIENT_SYSTEM_CHARS) {
    throw new ApiError("invalid_request", `system and developer messages may hold at most ${MAX_CLIENT_SYSTEM_CHARS} characters together`, {
      max_chars: MAX_CLIENT_SYSTEM_CHARS,
      chars: extraInstructions.length,
    });
  }
  const turns = req.messages.filter((m) => m.role === "user" || m.role === "assistant");
  const lastUser = [...turns].reverse().find((m) => m.role === "user");
  const question = sanitizeMessage(lastUser ? textOf(lastUser.content) : "");
  const history: ChatMessage[] = turns
    .slice(0, turns.lastIndexOf(lastUser!))
    .map((m) => ({ role: m.role as "user" | "assistant", content: textOf(m.content) }))
    .filter((m) => m.content.length > 0);
  const budget = await checkModelBudget(env, workspaceId);
  const started = Date.now();
  return (async function* () {
    const outcome = yield* generateAnswer(env, {
      assistant: { ...assistant, system_prompt: [assistant.system_prompt, extraInstructions].filter(Boolean).join("\n\n") },
      question,
      language: detectLanguage(question),
      history,
      signal,
      temperature: req.temperature,
      maxTokens: req.maxTokens,
    }, budget);
    await emitEvent(env, {
      id: newId("event"),
      workspace_id: workspaceId,
      type: "completion.answered",
      assistant_id: assistant.id,
      channel: "api",
      latency_ms: Date.now() - started,
      tokens: outcome.tokens_used,
      cost_usd: outcome.cost_usd,
      properties: { confidence: outcome.confidence, model: outcome.model, no_match: outcome.noMatch },
      created_at: nowIso(),
    });
    const result: CompletionOutcome = {
      finishReason: outcome.finish_reason === "length" ? "length" : outcome.finish_reason === "content_filter" ? "content_filter" : "stop",
      usage: {
        prompt_tokens: outcome.input_tokens,
        completion_tokens: outcome.output_tokens,
        total_tokens: outcome.input_tokens + outcome.output_tokens,
      },
      sources: outcome.sources,
      confidence: outcome.confidence,
    };
    return result;
  })();
}

/** The workspace's assistants in the OpenAI models-list shape. */
export async function listModels(env: Env, workspaceId: string) {
  const { assistants } = schema;
  const rows = await createDb(env.DB)
    .select({ id: assistants.id, created_at: assistants.created_at })
    .from(assistants)
    .where(and(eq(assistants.workspace_id, workspaceId), isNull(assistants.deleted_at)))
    .orderBy(asc(assistants.created_at))
    .all();
  return rows.map((r) => ({ id: r.id, object: "model", created: Math.floor(Date.parse(r.created_at) / 1000), owned_by: workspaceId }));
}
