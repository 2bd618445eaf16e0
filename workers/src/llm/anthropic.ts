import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "@anthropic-ai/sdk";
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  Tool,
} from "@anthropic-ai/sdk/resources/messages";
import type { ChatChunk, ChatMessage, ChatModel, ChatRequest, FinishReason, TextChatRequest, ToolChatChunk, ToolSpec } from "./chat-model";
import { abortedError, ModelError } from "./model-error";
import { DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_MAX_TOKENS, DEFAULT_SDK_MAX_RETRIES } from "./provider-defaults";
import { fromSdkError } from "./sdk-errors";
import { parseToolCall } from "./tool-calls";
import { estimateChatTokens, estimateTokens } from "./tokens";
import { tracedFetch } from "../lib/trace-context";

/** Anthropic's Messages API through the official SDK, with a configurable base URL. */

const SDK_ERRORS = { APIError, APIUserAbortError, APIConnectionError, APIConnectionTimeoutError };

/** How to reach one Anthropic model. */
export interface AnthropicChatModelOptions {
  apiKey: string;
  /** The model id (`claude-3-5-haiku-latest`). */
  model: string;
  /** Server base URL without `/v1`; the official API when absent. */
  baseURL?: string;
  timeoutMs?: number;
  maxRetries?: number;
  /** Used when a request does not set its own. */
  temperature?: number;
  maxTokens?: number;
}

/**
 * Our prompt in the Messages API's shape: system messages become the top-level `system` field,
 * consecutive turns of one role are merged (the API wants them alternating), and a prompt that
 * would not start with the visitor gets the question as its user turn. Tool calls become
 * `tool_use` blocks of their assistant turn, and their results `tool_result` blocks of the user
 * turn that follows, as the API requires.
 */
export function toAnthropicPrompt(messages: readonly ChatMessage[], question: string): { system: string; messages: MessageParam[] } {
  const system = messages
    .filter((m) => m.role === "system")
    .map((m) => m.content)
    .join("\n\n");
  const turns: MessageParam[] = [];
  for (const m of messages) {
    if (m.role === "system") continue;
    const role = m.role === "assistant" ? "assistant" : "user";
    const content = anthropicContent(m);
    const last = turns.at(-1);
    if (!last || last.role !== role) turns.push({ role, content });
    else if (typeof last.content === "string" && typeof content === "string") last.content = `${last.content}\n\n${content}`;
    else last.content = [...asBlocks(last.content), ...asBlocks(content)];
  }
  if (turns[0]?.role !== "user") turns.unshift({ role: "user", content: question });
  return { system, messages: turns };
}

/** One of our messages as Messages API content: plain text stays a string. */
function anthropicContent(m: Exclude<ChatMessage, { role: "system" }>): MessageParam["content"] {
  if (m.role === "tool") {
    return [{ type: "tool_result", tool_use_id: m.call_id, content: m.content, ...(m.is_error ? { is_error: true } : {}) }];
  }
  if (m.role === "assistant" && m.tool_calls?.length) {
    const blocks: ContentBlockParam[] = m.content ? [{ type: "text", text: m.content }] : [];
    for (const call of m.tool_calls) {
      // The API takes only an object back; arguments the model botched were never run.
      blocks.push({ type: "tool_use", id: call.call_id, name: call.name, input: call.arguments ?? {} });
    }
    return blocks;
  }
  return m.content;
}

/** Content as a list of blocks, for merging a text turn with a turn of blocks. */
function asBlocks(content: MessageParam["content"]): ContentBlockParam[] {
  if (typeof content !== "string") return content;
  return content ? [{ type: "text", text: content }] : [];
}

/** A tool in the Messages API's shape. */
function toAnthropicTool(tool: ToolSpec): Tool {
  return { name: tool.name, description: tool.description, input_schema: tool.parameters as Tool["input_schema"] };
}

/** An Anthropic model as a `ChatModel`. */
export class AnthropicChatModel implements ChatModel {
  readonly name: string;
  readonly supportsTools = true;
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicChatModelOptions) {
    this.name = `anthropic:${options.model}`;
    this.client = new Anthropic({
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
    const prompt = toAnthropicPrompt(req.messages, req.question);
    const temperature = req.temperature ?? this.options.temperature;
    const tools = req.tools?.length ? req.tools : undefined;
    const params: MessageCreateParamsStreaming = {
      model: this.options.model,
      max_tokens: req.maxTokens ?? this.options.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: prompt.messages,
      stream: true,
      ...(prompt.system ? { system: prompt.system } : {}),
      ...(temperature === undefined ? {} : { temperature }),
      ...(tools ? { tools: tools.map(toAnthropicTool), ...(req.toolChoice ? { tool_choice: { type: req.toolChoice } } : {}) } : {}),
    };

    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let finishReason: FinishReason = "stop";
    let stopped = false;
    let output = "";
    // Open tool_use blocks by index: their input arrives as pieces of JSON text.
    const openCalls = new Map<number, { id: string; name: string; json: string }>();
    try {
      const stream = await this.client.messages.create(params, { signal });
      for await (const event of stream) {
        switch (event.type) {
          case "message_start": {
            const u = event.message.usage;
            inputTokens = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
            outputTokens = u.output_tokens;
            break;
          }
          case "content_block_start":
            if (event.content_block.type === "tool_use") {
              openCalls.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: "" });
            }
            break;
          case "content_block_delta":
            if (event.delta.type === "text_delta" && event.delta.text) {
              output += event.delta.text;
              yield { type: "delta", text: event.delta.text };
            } else if (event.delta.type === "input_json_delta") {
              const call = openCalls.get(event.index);
              if (call) call.json += event.delta.partial_json;
              output += event.delta.partial_json;
            }
            break;
          case "content_block_stop": {
            const call = openCalls.get(event.index);
            if (call) {
              openCalls.delete(event.index);
              yield { type: "tool_call", call: parseToolCall(call.id, call.name, call.json) };
            }
            break;
          }
          case "message_delta":
            // Usage here is cumulative; input counts appear only on newer API versions.
            outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null) {
              inputTokens =
                event.usage.input_tokens +
                (event.usage.cache_creation_input_tokens ?? 0) +
                (event.usage.cache_read_input_tokens ?? 0);
            }
            if (event.delta.stop_reason) finishReason = mapStopReason(event.delta.stop_reason);
            break;
          case "message_stop":
            stopped = true;
            break;
        }
      }
    } catch (err) {
      throw fromSdkError(err, this.name, SDK_ERRORS, signal);
    }
    // The SDK ends the iteration quietly when its request is aborted.
    if (signal?.aborted) throw abortedError(this.name, signal.reason);
    if (!stopped) {
      throw new ModelError("connection", `${this.name} stream ended before message_stop`, { model: this.name });
    }
    const reported = inputTokens !== undefined && outputTokens !== undefined;
    yield {
      type: "done",
      model: this.name,
      usage: {
        input_tokens: inputTokens ?? estimateChatTokens(req.messages),
        output_tokens: outputTokens ?? estimateTokens(output),
        estimated: !reported,
      },
      finish_reason: finishReason,
    };
  }
}

/** Anthropic's stop reasons in our terms. */
function mapStopReason(reason: string): FinishReason {
  if (reason === "end_turn" || reason === "stop_sequence") return "stop";
  if (reason === "max_tokens" || reason === "model_context_window_exceeded") return "length";
  if (reason === "refusal") return "content_filter";
  if (reason === "tool_use") return "tool_calls";
  return "other";
}
