/**
 * The one seam every language model sits behind: OpenAI (and OpenAI-compatible servers),
 * Anthropic, Workers AI and the offline `extractive` model all stream the same chunks, so the
 * conversation engine, the fallback chain and the tests never care which one answered.
 */

/** Who wrote a message of the prompt. */
export type ChatRole = "system" | "user" | "assistant";

/** One message of the prompt, in the order the model reads them. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
}

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
}

/** Tokens a request consumed, for budgets, analytics and cost. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  /** True when the provider did not report usage and the numbers come from `tokens.ts`. */
  estimated: boolean;
}

/**
 * Why the answer ended: `stop` (complete), `length` (hit `maxTokens`), `content_filter` (the
 * provider refused or filtered), `other` (anything a provider adds later, e.g. tool calls).
 */
export type FinishReason = "stop" | "length" | "content_filter" | "other";

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

/**
 * A language model that streams answers. A stream yields zero or more `delta` chunks and ends
 * with exactly one `done` chunk, or throws a `ModelError` (never any other error type).
 */
export interface ChatModel {
  /** Configured name, `provider:model` (or `extractive`), used for logs, pricing and routing. */
  readonly name: string;
  /** Streams the answer to `req`; breaking out of the loop cancels the upstream request. */
  stream(req: ChatRequest): AsyncIterable<ChatChunk>;
}
