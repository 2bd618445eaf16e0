/**
 * The one seam every language model sits behind: OpenAI (and OpenAI-compatible servers),
 * Anthropic, Workers AI and the offline `extractive` model all stream the same chunks, so the
 * conversation engine, the fallback chain and the tests never care which one answered.
 *
 * Tools are part of the seam: a request may describe tools and carry earlier calls and their
 * results, and the stream then yields complete tool calls besides text. `stream` is overloaded
 * so that a request without tools is typed to yield text only: callers that never pass tools
 * need not handle calls. Classes declare both overloads over one implementation.
 */

/** Who wrote a message of the prompt; `tool` carries the result of a tool call back to the model. */
export type ChatRole = "system" | "user" | "assistant" | "tool";

/**
 * One message of the prompt, in the order the model reads them. An assistant turn that called
 * tools carries its `tool_calls`; each call's result follows as a `tool` message naming the call.
 */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | {
      role: "assistant";
      content: string;
      /** The tools this turn called, in the order the model asked for them. */
      tool_calls?: ToolCall[];
    }
  | {
      role: "tool";
      /** The result as the model reads it (JSON or plain text). */
      content: string;
      /** The `call_id` of the call this answers. */
      call_id: string;
      /** The tool that was called. */
      name: string;
      /** True when the call failed or was refused: the content says why. */
      is_error?: boolean;
    };

/** A JSON Schema document (an object schema for tool parameters). */
export type JsonSchema = Record<string, unknown>;

/** A tool the model may call: its name, what it is for, and the JSON Schema of its arguments. */
export interface ToolSpec {
  /** `^[a-zA-Z0-9_-]{1,64}$`, the one pattern every provider accepts. */
  name: string;
  description: string;
  /** JSON Schema of the arguments object (`{"type":"object","properties":{…}}`). */
  parameters: JsonSchema;
}

/**
 * A complete tool call the model made. Its arguments are either the parsed JSON object, or, when
 * the model wrote something that is not a JSON object, `invalid` with the raw text and the parse
 * error: the model is told, never the stream broken.
 */
export type ToolCall =
  | { call_id: string; name: string; arguments: Record<string, unknown>; invalid?: undefined }
  | { call_id: string; name: string; arguments?: undefined; invalid: { raw: string; error: string } };

/** A tool call whose arguments parsed as a JSON object. */
export type ValidToolCall = Extract<ToolCall, { invalid?: undefined }>;

/** Whether the model may call the request's tools (`auto`) or must answer in text (`none`). */
export type ToolChoice = "auto" | "none";

/** A retrieved knowledge-base chunk the answer may draw on; cited as `[n]` by its 1-based order. */
export interface Passage {
  chunk_id: string;
  document_id: string;
  title: string;
  /** The heading of the section the passage sits under, when retrieval knows it. */
  heading?: string | null;
  content: string;
  /** Retrieval score (higher is better); only its order matters here. */
  score: number;
}

/**
 * What to answer. LLM providers read `messages` (the assembled prompt); the `extractive` model
 * reads `question` and `passages`, which is why both are carried: the prompt is already built
 * from them, and an offline model cannot read a prompt.
 */
export interface ChatRequest {
  /** The whole prompt: system prompt with tone and context, then the history, then the question. */
  messages: ChatMessage[];
  /** The visitor's latest message, as they wrote it. */
  question: string;
  /** Retrieved passages, best first; `[1]` in an answer refers to `passages[0]`. */
  passages: Passage[];
  /** BCP 47 language of the visitor (`es`, `pt-BR`); fixed phrases follow it when known. */
  language?: string;
  /** Sampling temperature; the provider's default when absent. */
  temperature?: number;
  /** Upper bound on the answer's tokens. */
  maxTokens?: number;
  /** Stops the answer: the stream then fails with a `ModelError` of kind `aborted`. */
  signal?: AbortSignal;
  /**
   * Tools the model may call; only sent to models whose `supportsTools` is true. The stream then
   * may yield `tool_call` chunks besides text.
   */
  tools?: ToolSpec[];
  /** `none` keeps the tools described but asks for a text answer; `auto` when absent. */
  toolChoice?: ToolChoice;
}

/** A request without tools: its stream yields text only. */
export type TextChatRequest = ChatRequest & { tools?: undefined };

/** Tokens a request consumed, for budgets, analytics and cost. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** True when the provider did not report usage and the numbers come from `tokens.ts`. */
  estimated: boolean;
}

/**
 * Why the answer ended: `stop` (complete), `length` (hit `maxTokens`), `content_filter` (the
 * provider refused or filtered), `tool_calls` (the model is waiting for its calls' results),
 * `other` (anything a provider adds later).
 */
export type FinishReason = "stop" | "length" | "content_filter" | "tool_calls" | "other";

/** One piece of a streamed answer. */
export type ChatChunk =
  /** More text of the answer; the answer is the concatenation of every delta. */
  | { type: "delta"; text: string }
  /** The last chunk of a successful stream. */
  | {
      type: "done";
      /** The model that actually answered, as configured (`openai:gpt-4o-mini`, `extractive`). */
      model: string;
      usage: TokenUsage;
      finish_reason: FinishReason;
    };

/** A complete tool call, yielded once its arguments have fully arrived. */
export type ToolCallChunk = { type: "tool_call"; call: ToolCall };

/** One piece of a streamed answer to a request with tools: text, tool calls, then `done`. */
export type ToolChatChunk = ChatChunk | ToolCallChunk;

/**
 * A language model that streams answers. A stream yields zero or more `delta` chunks (and, when
 * the request has tools, `tool_call` chunks, several for parallel calls) and ends with exactly
 * one `done` chunk, or throws a `ModelError` (never any other error type).
 */
export interface ChatModel {
  /** Configured name, `provider:model` (or `extractive`), used for logs, pricing and routing. */
  readonly name: string;
  /** False for models that cannot call tools (`extractive`): they are never sent any. */
  readonly supportsTools: boolean;
  /** Streams the answer to `req`; breaking out of the loop cancels the upstream request. */
  stream(req: TextChatRequest): AsyncIterable<ChatChunk>;
  stream(req: ChatRequest): AsyncIterable<ToolChatChunk>;
}
