import type { ChatChunk, ChatMessage, ChatModel, ChatRequest, FinishReason, TextChatRequest, ToolCall, ToolChatChunk } from "./chat-model";
import { abortedError, ModelError, type ModelErrorKind } from "./model-error";
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_MAX_TOKENS } from "./provider-defaults";
import { readSse } from "./sse";
import { rawArguments, ToolCallAccumulator, type ToolCallFragment } from "./tool-calls";
import { estimateChatTokens, estimateTokens } from "./tokens";

/**
 * Workers AI text generation through the `AI` binding. With `stream: true` the binding returns
 * the raw `text/event-stream` body: `data: {"response":"…"}` events (newer models send OpenAI
 * `choices[0].delta` chunks instead), a last event carrying `usage`, then `data: [DONE]`.
 *
 * Function-calling models take `tools` as `{type:"function", function:{name, description,
 * parameters}}`, results as `tool` messages naming their `tool_call_id`, and answer with
 * `tool_calls`: in the stream as fragments by index (top-level, or in `choices[0].delta` on the
 * OpenAI-shaped models), or whole, with arguments already parsed, from models that answer a
 * request with tools in one piece (`{response, tool_calls:[{name, arguments}]}`).
 */

/** The part of the `AI` binding this model calls (the real binding, or a fake in tests). */
export type AiRunner = {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
};

/** How to reach one Workers AI model. */
export interface WorkersAIChatModelOptions {
  ai: AiRunner;
  /** The catalogue id (`@cf/meta/llama-3.1-8b-instruct`). */
  model: string;
  timeoutMs?: number;
  /** Used when a request does not set its own. */
  temperature?: number;
  maxTokens?: number;
}

/**
 * Workers AI's internal error codes (they appear in the thrown error's message) by kind.
 * From the Workers AI errors reference.
 */
const ERROR_CODE_KINDS: Readonly<Record<string, ModelErrorKind>> = {
  "3040": "overloaded", // out of capacity
  "3036": "rate_limited", // daily allocation used up
  "3007": "timeout",
  "3008": "timeout",
  "3003": "invalid_request",
  "3006": "invalid_request", // request too large
  "3042": "invalid_request", // invalid model id
  "5004": "invalid_request",
  "5007": "invalid_request", // no such model
  "3023": "auth",
  "3041": "auth",
  "5016": "auth", // model licence not agreed
  "5018": "auth",
};

/**
 * A Workers AI binding error as a `ModelError`, classified by the code in its message: the one
 * classification for every Workers AI model (chat, embeddings, reranking).
 */
export function workersAiError(model: string, err: unknown): ModelError {
  const message = err instanceof Error ? err.message : String(err);
  const code = /\b([35]\d{3})\b/.exec(message)?.[1];
  const kind = (code && ERROR_CODE_KINDS[code]) || "server_error";
  return new ModelError(kind, `${model} failed: ${message}`, { model, cause: err });
}

/** A Workers AI model as a `ChatModel`. */
export class WorkersAIChatModel implements ChatModel {
  readonly name: string;
  readonly supportsTools = true;

  constructor(private readonly options: WorkersAIChatModelOptions) {
    this.name = `workers-ai:${options.model}`;
  }

  stream(req: TextChatRequest): AsyncGenerator<ChatChunk>;
  stream(req: ChatRequest): AsyncGenerator<ToolChatChunk>;
  async *stream(req: ChatRequest): AsyncGenerator<ToolChatChunk> {
    const { signal } = req;
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    const temperature = req.temperature ?? this.options.temperature;
    // The binding has no tool choice: a text answer is asked for by leaving the tools out.
    const tools = req.tools?.length && req.toolChoice !== "none" ? req.tools : undefined;
    const inputs: Record<string, unknown> = {
      messages: req.messages.map(toWorkersAiMessage),
      stream: true,
      max_tokens: req.maxTokens ?? this.options.maxTokens ?? DEFAULT_MAX_TOKENS,
      ...(temperature === undefined ? {} : { temperature }),
      ...(tools
        ? { tools: tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })) }
        : {}),
    };

    const result = await this.start(inputs, signal);
    const calls = new ToolCallAccumulator();
    if (!(result instanceof ReadableStream)) {
      // A model that does not stream (or not with tools) answers in one piece.
      const answer = (typeof result === "object" && result !== null ? result : {}) as OneShotAnswer;
      const text = answer.response ?? "";
      if (typeof text !== "string" || (answer.response == null && !Array.isArray(answer.tool_calls))) {
        throw new ModelError("server_error", `${this.name} answered without text`, { model: this.name });
      }
      if (text) yield { type: "delta", text };
      for (const fragment of fragments(answer.tool_calls)) calls.add(fragment);
      yield* this.finish(req, calls.calls(), text, answer.usage, "stop");
      return;
    }

    let output = "";
    let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
    let finishReason: FinishReason = "stop";
    let complete = false;
    try {
      for await (const { data } of readSse(result as ReadableStream<Uint8Array>, signal)) {
        if (data === "[DONE]") {
          complete = true;
          break;
        }
        const event = parseEvent(data);
        if (!event) continue;
        if (event.usage) usage = event.usage;
        const choice = event.choices?.[0];
        const reason = event.finish_reason ?? choice?.finish_reason;
        if (reason) finishReason = reason === "length" ? "length" : reason === "stop" ? "stop" : reason === "tool_calls" ? "tool_calls" : "other";
        const text = typeof event.response === "string" ? event.response : choice?.delta?.content;
        if (text) {
          output += text;
          yield { type: "delta", text };
        }
        for (const fragment of [...fragments(event.tool_calls), ...fragments(choice?.delta?.tool_calls)]) calls.add(fragment);
      }
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (signal?.aborted) throw abortedError(this.name, signal.reason);
      throw new ModelError("connection", `${this.name} stream broke: ${String(err)}`, { model: this.name, cause: err });
    }
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    if (!complete) throw new ModelError("connection", `${this.name} stream ended before [DONE]`, { model: this.name });
    yield* this.finish(req, calls.calls(), output, usage, finishReason);
  }

  /** The answer's tool calls, then its `done` chunk. */
  private *finish(
    req: ChatRequest,
    calls: ToolCall[],
    output: string,
    usage: { prompt_tokens?: number; completion_tokens?: number } | undefined,
    finishReason: FinishReason,
  ): Generator<ToolChatChunk> {
    for (const call of calls) yield { type: "tool_call", call };
    // Native events carry no finish reason for tool calls: calls without a cut mean they wait.
    const reason = calls.length > 0 && finishReason === "stop" ? "tool_calls" : finishReason;
    yield this.done(req, output + calls.map(rawArguments).join(""), usage, reason);
  }

  /** Calls the binding, giving up after the first-byte timeout. */
  private async start(inputs: Record<string, unknown>, signal: AbortSignal | undefined): Promise<unknown> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS;
    const timeout = new AbortController();
    const combined = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let fail = () => {};
    // Race the call as well as passing the signal: the answer must not depend on the binding
    // honouring it.
    const stop = new Promise<never>((_, reject) => {
      fail = () => reject(signal?.aborted ? abortedError(this.name, signal.reason) : this.timeoutError());
      timer = setTimeout(() => {
        timeout.abort();
        fail();
      }, timeoutMs);
      if (signal?.aborted) fail();
      else signal?.addEventListener("abort", fail, { once: true });
    });
    try {
      return await Promise.race([this.options.ai.run(this.options.model, inputs, { signal: combined }), stop]);
    } catch (err) {
      if (err instanceof ModelError) throw err;
      if (signal?.aborted) throw abortedError(this.name, signal.reason);
      throw this.toModelError(err);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", fail);
    }
  }

  private timeoutError(): ModelError {
    return new ModelError("timeout", `${this.name} did not answer in time`, { model: this.name });
  }

  private toModelError(err: unknown): ModelError {
    return workersAiError(this.name, err);
  }

  private done(
    req: ChatRequest,
    output: string,
    usage: { prompt_tokens?: number; completion_tokens?: number } | undefined,
    finishReason: FinishReason,
  ): ChatChunk {
    const reported = usage?.prompt_tokens !== undefined && usage.completion_tokens !== undefined;
    return {
      type: "done",
      model: this.name,
      usage: {
        input_tokens: usage?.prompt_tokens ?? estimateChatTokens(req.messages),
        output_tokens: usage?.completion_tokens ?? estimateTokens(output),
        estimated: !reported,
      },
      finish_reason: finishReason,
    };
  }
}

/** One streamed event of either shape Workers AI uses. */
interface StreamEvent {
  response?: unknown;
  finish_reason?: string | null;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
  tool_calls?: unknown;
  choices?: { delta?: { content?: string | null; tool_calls?: unknown }; finish_reason?: string | null }[] | null;
}

/** A whole answer, from a model that did not stream. */
interface OneShotAnswer {
  response?: unknown;
  tool_calls?: unknown;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

/** The tool-call fragments of `value`, skipping anything that is not an object. */
function fragments(value: unknown): ToolCallFragment[] {
  return Array.isArray(value) ? value.filter((f): f is ToolCallFragment => typeof f === "object" && f !== null) : [];
}

/** One message of our prompt as the binding takes it (the OpenAI shape, arguments as text). */
function toWorkersAiMessage(m: ChatMessage): Record<string, unknown> {
  if (m.role === "tool") return { role: "tool", tool_call_id: m.call_id, name: m.name, content: m.content };
  if (m.role === "assistant" && m.tool_calls?.length) {
    return {
      role: "assistant",
      content: m.content,
      tool_calls: m.tool_calls.map((call) => ({ id: call.call_id, type: "function", function: { name: call.name, arguments: rawArguments(call) } })),
    };
  }
  return { role: m.role, content: m.content };
}

/** The JSON of an event, or undefined for anything that is not an object. */
function parseEvent(data: string): StreamEvent | undefined {
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === "object" && value !== null ? (value as StreamEvent) : undefined;
  } catch {
    return undefined;
  }
}
