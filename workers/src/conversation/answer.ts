import type { ModelPolicy } from "../../../schema/api";
import type { Source } from "../../../schema/protocol";
import { spendModelTokens, type ModelBudgetGrant } from "../limits/model-budget";
import { searchKnowledge, type SearchHit } from "../knowledge/search";
import type { ChatMessage, Passage } from "../llm/chat-model";
import { phraseExpansions } from "../llm/concepts";
import { isNoAnswerText } from "../llm/extractive";
import { ModelError } from "../llm/model-error";
import { estimateCostUsd } from "../llm/pricing";
import { allowedModels } from "../llm/allowed-models";
import { createChatModel } from "../llm/registry";
import { estimateChatTokens, estimateTokens } from "../llm/tokens";
import { scoreConfidence } from "./confidence";
import { runToolLoop, type ToolLoopResult } from "../llm/tool-loop";
import { withoutTools } from "../llm/tool-calls";
import type { ChatChunk, ChatRequest } from "../llm/chat-model";
import { needsAgent } from "./failed-calls";
import { toolDeclinedText, toolFailureText } from "./action-text";
import { toolLoopOptions, type AnswerTools } from "./answer-tools";
import { assemblePrompt } from "./prompt";
import type { ToolCall } from "./protocol";

/**
 * Longest answer kept, in characters: far beyond any support answer, and it keeps every
 * message row well under the 2 MB row limit of D1 and Durable Object SQLite.
 */
export const MAX_ANSWER_CHARS = 100_000;

/** The assistant settings an answer depends on. */
export interface AnsweringAssistant {
  id: string;
  workspace_id: string;
  system_prompt: string;
  tone: "friendly" | "professional" | "casual";
  model_policy: ModelPolicy;
}

/** What to answer, and with what. */
export interface AnswerInput {
  assistant: AnsweringAssistant;
  question: string;
  language: string;
  /** Earlier turns, oldest first. */
  history: ChatMessage[];
  signal?: AbortSignal;
  /** The knowledge already retrieved for `question` (a conversation's turn retrieves first); searched here when absent. */
  retrieved?: SearchHit[];
  temperature?: number;
  maxTokens?: number;
  /** The assistant's actions, offered to a tool-capable model (conversations only). */
  tools?: AnswerTools;
}

/** How an answer ended, with everything stored and shown about it. */
export interface AnswerOutcome {
  content: string;
  status: "complete" | "stopped" | "failed";
  sources: Source[];
  confidence: number;
  /** Nothing relevant was retrieved, or the answer cites none of it. */
  noMatch: boolean;
  tokens_used: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  model: string | null;
  finish_reason: string;
  error: { code: string; message: string } | null;
  /** The actions the model called, as stored on the answer (empty when none). */
  tool_calls: ToolCall[];
  /**
   * Whether the calls' failures hand the conversation to a person: null when no call failed in a
   * way a person should see (`needsAgent`), else true when any such call's action hands off.
   */
  failure_handoff: boolean | null;
}

/**
 * The words of a question worth searching for: links (attachments arrive as Markdown links)
 * name files and hosts, not the visitor's topic, and would pull retrieval off course.
 */
export function searchableText(question: string): string {
  return question
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, " ")
    .replace(/https?:\/\/\S+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * What to search the knowledge base for: the visitor's words (see `searchableText`), plus the
 * word each set phrase stands for ("send it back" → return, "money back" → refund), since the
 * articles use the word and retrieval matches words.
 */
export function searchQuery(question: string): string {
  const text = searchableText(question) || question;
  const extra = phraseExpansions(text);
  return extra.length > 0 ? `${text} ${extra.join(" ")}` : text;
}

function toPassage(h: SearchHit): Passage {
  return { chunk_id: h.chunk_id, document_id: h.document_id, title: h.title, heading: h.heading ?? null, content: h.content, score: h.score };
}

/** The hits an answer cites by `[n]`, each document once (two chunks of one article are one source). */
function citedSources(answer: string, hits: SearchHit[]): Source[] {
  const cited = new Set<number>();
  for (const m of answer.matchAll(/\[(\d{1,2})\]/g)) cited.add(Number(m[1]) - 1);
  const documents = new Set<string>();
  return hits
    .filter((h, i) => cited.has(i) && !documents.has(h.document_id) && documents.add(h.document_id))
    .map((h) => ({
      document_id: h.document_id,
      title: h.title,
      chunk_id: h.chunk_id,
      score: Math.round(h.score * 1000) / 1000,
      snippet: h.snippet,
      url: h.source,
    }));
}

/**
 * Whether an answer is a "no answer": nothing was retrieved, the answer cites none of it (an
 * uncited answer cannot be checked against the help articles), or it is the model's own "I
 * couldn't find this" line. A no-answer has no confidence and is handed to a person.
 */
export function isNoAnswer(content: string, passages: readonly Passage[], sources: readonly Source[]): boolean {
  return passages.length === 0 || sources.length === 0 || isNoAnswerText(content);
}

/**
 * Tokens a finished answer costs the workspace's budget: what the model reported, but never less
 * than the prompt it was sent (estimated) plus what it wrote. Models that estimate their own
 * usage (the offline `extractive` counts only the question and passages) and calls that failed
 * before reporting still pay for the whole prompt, client system text included.
 */
export function budgetCharge(reportedTokens: number, prompt: readonly ChatMessage[], outputTokens: number): number {
  return Math.max(reportedTokens, estimateChatTokens(prompt) + outputTokens);
}

/**
 * The message pipeline after sanitising: retrieve → assemble the prompt → stream from the
 * model → score confidence. Yields text deltas; returns the outcome. Used by conversations and
 * by the OpenAI-compatible endpoint alike: the single way to a model, so it takes the budget
 * grant the caller was given (`checkModelBudget`) and pays the answer's tokens into it.
 */
export async function* generateAnswer(env: Env, input: AnswerInput, budget: ModelBudgetGrant): AsyncGenerator<string, AnswerOutcome> {
  if (budget.workspaceId !== input.assistant.workspace_id) throw new Error("model budget granted to another workspace");
  const hits = input.retrieved ?? (await searchKnowledge(env, { workspaceId: input.assistant.workspace_id, assistantId: input.assistant.id }, searchQuery(input.question)));
  const passages = hits.map(toPassage);
  const messages = assemblePrompt({
    systemPrompt: input.assistant.system_prompt,
    tone: input.assistant.tone,
    language: input.language,
    passages,
    history: input.history,
    question: input.question,
  });
  // Only models the deployment allows this plan: a stored policy naming another falls back.
  const model = createChatModel(env, input.assistant.model_policy, input.question, { allowedModels: allowedModels(env, budget.plan) });

  const request: ChatRequest = {
    messages,
    question: input.question,
    passages,
    language: input.language,
    signal: input.signal,
    temperature: input.temperature ?? input.assistant.model_policy.temperature,
    maxTokens: input.maxTokens ?? input.assistant.model_policy.max_tokens,
  };
  // A tool-capable model with the assistant's actions runs the tool loop; any other streams text.
  const loop = input.tools ? await toolLoopOptions(env, input.tools, model, request) : null;
  const loopRun = loop ? runToolLoop(loop.options) : null;
  // Without the loop, earlier answers' tool turns are left out: a model offered no tools reads a plain chat.
  const stream: AsyncIterator<ChatChunk, ToolLoopResult | void> = loopRun ?? model.stream(withoutTools(request))[Symbol.asyncIterator]();

  let content = "";
  let status: AnswerOutcome["status"] = "complete";
  let error: AnswerOutcome["error"] = null;
  let usage = { input_tokens: 0, output_tokens: 0 };
  let modelName: string | null = model.name;
  let finish = "stop";
  let loopResult: ToolLoopResult | null = null;
  try {
    for (let step = await stream.next(); ; step = await stream.next()) {
      if (step.done) {
        loopResult = step.value ?? null;
        break;
      }
      const chunk = step.value;
      if (chunk.type === "delta") {
        const room = MAX_ANSWER_CHARS - content.length;
        const text = chunk.text.slice(0, room);
        if (text) {
          content += text;
          yield text;
        }
        if (content.length >= MAX_ANSWER_CHARS) {
          finish = "length";
          await stream.return?.();
          break;
        }
      } else {
        usage = chunk.usage;
        modelName = chunk.model;
        finish = chunk.finish_reason;
      }
    }
  } catch (err) {
    if (err instanceof ModelError) {
      modelName = err.model;
      // Earlier steps of a tool loop were spent before this one failed: they are charged too.
      if (err.usage) usage = { input_tokens: err.usage.input_tokens, output_tokens: err.usage.output_tokens };
    }
    if (err instanceof ModelError && err.kind === "aborted") {
      status = "stopped";
      finish = "stopped";
    } else {
      status = "failed";
      finish = "error";
      error = {
        code: "upstream_error",
        message: err instanceof ModelError ? `the model could not answer (${err.kind})` : "the model could not answer",
      };
    }
  }
  const toolCalls = loop && loopResult ? loop.stored(loopResult.calls) : [];
  // Calls that failed or were declined with no word from the model still get a plain sentence, never silence.
  if (status === "complete" && !content.trim() && toolCalls.length > 0) {
    const failed = toolCalls.some((c) => c.status === "failed");
    if (failed || toolCalls.some((c) => c.status === "declined")) {
      content = failed ? toolFailureText(input.language) : toolDeclinedText(input.language);
      yield content;
    }
  }
  const agentCalls = toolCalls.filter(needsAgent);
  const failureHandoff = loop && agentCalls.length > 0 ? agentCalls.some(loop.handsOff) : null;

  // A stopped or failed stream reports no usage; what it wrote still counts.
  const written = Math.max(usage.output_tokens, estimateTokens(content));
  await spendModelTokens(env, budget, budgetCharge(usage.input_tokens + usage.output_tokens, messages, written));
  const sources = citedSources(content, hits);
  // An answer built on a call the business's own service answered (or the visitor declined) is grounded in that, not in the articles.
  const fromService = toolCalls.some((c) => c.status === "done" || c.status === "declined");
  const noMatch = !fromService && isNoAnswer(content, passages, sources);
  const confidence = status === "failed" || noMatch ? 0 : fromService ? 1 : scoreConfidence({ question: input.question, answer: content, passages });
  return {
    content,
    status,
    sources,
    confidence,
    noMatch,
    tokens_used: usage.input_tokens + usage.output_tokens,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cost_usd: modelName ? (estimateCostUsd(modelName, usage) ?? 0) : 0,
    model: modelName,
    finish_reason: finish,
    error,
    tool_calls: toolCalls,
    failure_handoff: failureHandoff,
  };
}
