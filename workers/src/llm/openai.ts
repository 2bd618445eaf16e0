import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming } from "openai/resources/chat/completions";
import type { ChatChunk, ChatModel, ChatRequest, FinishReason } from "./chat-model";
import { abortedError, ModelError } from "./model-error";
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_SDK_MAX_RETRIES } from "./provider-defaults";
import { fromSdkError } from "./sdk-errors";
import { estimateChatTokens, estimateTokens } from "./tokens";

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
  private readonly client: OpenAI;

  constructor(private readonly options: OpenAIChatModelOptions) {
    this.name = `openai:${options.model}`;
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL || undefined,
      timeout: options.timeoutMs ?? DEFAULT_FIRST_BYTE_TIMEOUT_MS,
      maxRetries: options.maxRetries ?? DEFAULT_SDK_MAX_RETRIES,
    });
  }

  async *stream(req: ChatRequest): AsyncGenerator<ChatChunk> {
    const { signal } = req;
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    const temperature = req.temperature ?? this.options.temperature;
    const maxTokens = req.maxTokens ?? this.options.maxTokens;
    const params: ChatCompletionCreateParamsStreaming = {
      model: this.options.model,
      messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      stream_options: { include_usage: true },
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
  return "other";
}
