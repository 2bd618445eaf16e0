import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from "openai/resources/chat/completions";
import type { ChatChunk, ChatMessage, ChatModel, ChatRequest, FinishReason, TextChatRequest, ToolChatChunk, ToolSpec } from "./chat-model";
import { abortedError, ModelError } from "./model-error";
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_SDK_MAX_RETRIES } from "./provider-defaults";
import { fromSdkError } from "./sdk-errors";
import { rawArguments, ToolCallAccumulator } from "./tool-calls";
import { estimateChatTokens, estimateTokens } from "./tokens";
import { tracedFetch } from "../lib/trace-context";

/**
 * OpenAI chat completions through the official SDK. The base URL is configurable, so any
 * OpenAI-compatible server (Ollama, vLLM, LiteLLM, a local fake) is reached the same way.
 */

const SDK_ERRORS = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };

/** How to reach one OpenAI (or OpenAI-compatible) model. */
export interface OpenAIChatModelOptions {
  apiKey: string;
  /** The model id the server knows (`gpt-4o-mini`, `llama3.1:8b`). */
  model: string;
  /** Server base URL including `/v1`; the official API when absent. */
  baseURL?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Used when a request does not set its own. */
  temperature?: number;
  maxTokens?: number;
}

/** An OpenAI chat-completions model as a `ChatModel`. */
export class OpenAIChatModel implements ChatModel {
  readonly name: string;
  readonly supportsTools = true;
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIChatModelOptions) {
    this.name = `openai:${options.model}`;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL || undefined,
      // Every provider call carries the `traceparent` of the work it serves (a visitor message).
      fetch: tracedFetch,
      timeout: options.timeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_SDK_MAX_RETRIES,
    });
  }

  stream(req: TextChatRequest): AsyncGenerator<ChatChunk>;
  stream(req: ChatRequest): AsyncGenerator<ToolChatChunk>;
  async *stream(req: ChatRequest): AsyncGenerator<ToolChatChunk> {
    const { signal } = req;
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    const temperature = req.temperature ?? this.options.temperature;
    const maxTokens = req.maxTokens ?? this.options.maxTokens;
    const tools = req.tools?.length ? req.tools : undefined;
    const params: ChatCompletionCreateParamsStreaming = {
      model: this.options.model,
      messages: req.messages.map(toOpenAIMessage),
      stream: true,
      stream_options: { include_usage: true },
      ...(tools ? { tools: tools.map(toOpenAITool), ...(req.toolChoice ? { tool_choice: req.toolChoice } : {}) } : {}),
      ...(temperature === undefined ? {} : { temperature }),
      // The official API wants `max_completion_tokens` (reasoning models refuse `max_tokens`);
      // compatible servers such as Ollama only know `max_tokens`.
      ...(maxTokens === undefined
        ? {}
        : isOfficialApi(this.options.baseURL)
          ? { max_completion_tokens: maxTokens }
          : { max_tokens: maxTokens }),
    };

    let finishReason: FinishReason | undefined;
    let usage: ChatCompletionChunk["usage"] = null;
    let output = "";
    // Parallel calls arrive as fragments keyed by index: id and name first, arguments in pieces.
    const calls = new ToolCallAccumulator();
    try {
      const stream = await this.client.chat.completions.create(params, { signal });
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        // vLLM and others send the usage-only chunk with `choices` null or missing.
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const text = choice.delta?.content;
        if (text) {
          output += text;
          yield { type: "delta", text };
        }
        for (const fragment of choice.delta?.tool_calls ?? []) {
          calls.add(fragment);
          output += fragment.function?.arguments ?? "";
        }
        if (choice.finish_reason) finishReason = mapFinishReason(choice.finish_reason);
      }
    } catch (err) {
      throw fromSdkError(err, this.name, SDK_ERRORS, signal);
    }
    // The SDK ends the iteration quietly when its request is aborted.
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    if (!finishReason) {
      throw new ModelError("connection", `${this.name} stream ended before the answer was finished`, { model: this.name });
    }
    for (const call of calls.calls()) yield { type: "tool_call", call };
    yield {
      type: "done",
      model: this.name,
      usage: usage
        ? { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, estimated: false }
        : { input_tokens: estimateChatTokens(req.messages), output_tokens: estimateTokens(output), estimated: true },
      finish_reason: finishReason,
    };
  }
}

/** One message of our prompt in the chat-completions shape. */
function toOpenAIMessage(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === "tool") return { role: "tool", tool_call_id: m.call_id, content: m.content };
  if (m.role === "assistant" && m.tool_calls?.length) {
    return {
      role: "assistant",
      // The API wants null rather than "" beside tool calls.
      content: m.content || null,
      tool_calls: m.tool_calls.map((call) => ({
        id: call.call_id,
        type: "function",
        function: { name: call.name, arguments: rawArguments(call) },
      })),
    };
  }
  return { role: m.role, content: m.content };
}

/** A tool as a chat-completions function tool. */
function toOpenAITool(tool: ToolSpec): ChatCompletionTool {
  return { type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}

/** True when `baseURL` is OpenAI's own API (absent means the SDK's default, which is). */
function isOfficialApi(baseURL: string | undefined): boolean {
  if (!baseURL) return true;
  try {
    return new URL(baseURL).hostname === "api.openai.com";
  } catch {
    return false;
  }
}

/** OpenAI's finish reasons in our terms. */
function mapFinishReason(reason: string): FinishReason {
  if (reason === "stop") return "stop";
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content_filter";
  // `function_call` is the name older servers still use.
  if (reason === "tool_calls" || reason === "function_call") return "tool_calls";
  return "other";
}
