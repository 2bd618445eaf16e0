import type { ChatChunk, ChatModel, ChatRequest, TextChatRequest, ToolChatChunk } from "./chat-model";
import { createLogger, type Logger } from "../lib/logger";
import { abortedError, ModelError } from "./model-error";
import { withoutTools } from "./tool-calls";

/**
 * A chain of models tried in order: when one fails before it has said anything with a
 * retryable error (429, 5xx, 529 overloaded, timeout, connection), the next one answers.
 *
 * Once a model has streamed a delta, its failure is surfaced as is and nothing else is tried:
 * the visitor has already seen the start of that answer, and splicing another model's answer
 * onto it would produce text no model wrote, with citations that may not match. The caller
 * shows the error (and may retry the whole answer), which is honest and easy to reason about.
 *
 * Retries of one model are decided here rather than by the SDKs (whose own retries are off, see
 * `provider-defaults.ts`): a model is asked once more only when it named a short Retry-After.
 * Anything longer, or no Retry-After at all, moves to the next model at once.
 *
 * A request with tools reaches a model without tool support (`extractive`, which closes every
 * chain) stripped of them: it still answers in text rather than leaving the visitor with nothing.
 */

/** The longest Retry-After honoured by waiting, in milliseconds. */
export const MAX_HONOURED_RETRY_AFTER_MS = 2_000; // longer waits feel broken in a live chat: use the next model
const MAX_ATTEMPTS_PER_MODEL = 2; // the first try and one retry after a short Retry-After

/** Tuning of a `FallbackChatModel`, mainly for tests. */
export interface FallbackOptions {
  maxRetryAfterMs?: number;
  logger?: Logger;
}

/** A `ChatModel` that answers with the first model of a chain that can. */
export class FallbackChatModel implements ChatModel {
  readonly name: string;
  /** True when any model of the chain can call tools. */
  readonly supportsTools: boolean;
  private readonly maxRetryAfterMs: number;
  private readonly logger: Logger;

  constructor(
    readonly models: readonly ChatModel[],
    options: FallbackOptions = {},
  ) {
    if (models.length === 0) throw new Error("a fallback chain needs at least one model");
    this.name = models.map((m) => m.name).join(" > ");
    this.supportsTools = models.some((m) => m.supportsTools);
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? MAX_HONOURED_RETRY_AFTER_MS;
    this.logger = options.logger ?? createLogger({ component: "llm.fallback" });
  }

  stream(req: TextChatRequest): AsyncGenerator<ChatChunk>;
  stream(req: ChatRequest): AsyncGenerator<ToolChatChunk>;
  async *stream(req: ChatRequest): AsyncGenerator<ToolChatChunk> {
    let lastError: ModelError | undefined;
    for (const [index, model] of this.models.entries()) {
      const request = model.supportsTools ? req : withoutTools(req);
      for (let attempt = 1; attempt <= MAX_ATTEMPTS_PER_MODEL; attempt++) {
        let streamed = false;
        try {
          for await (const chunk of model.stream(request)) {
            // A tool call, like text, is an answer begun: no other model may take over.
            if (chunk.type !== "done") streamed = true;
            yield chunk;
          }
          return;
        } catch (err) {
          const error = toModelError(err, model.name);
          if (streamed || !error.retryable || req.signal?.aborted) throw error;
          lastError = error;
          const wait = error.retryAfterMs;
          const retrySame = attempt < MAX_ATTEMPTS_PER_MODEL && wait !== undefined && wait <= this.maxRetryAfterMs;
          const next = this.models[index + 1];
          this.logger.warn("model failed before answering", {
            model: model.name,
            kind: error.kind,
            status: error.status,
            retry_after_ms: wait,
            then: retrySame ? `retry in ${wait} ms` : next ? `fall back to ${next.name}` : "give up",
          });
          if (!retrySame) break;
          await sleep(wait, req.signal, model.name);
        }
      }
    }
    throw lastError ?? new ModelError("server_error", "no model could answer", { model: this.name });
  }
}

/**
 * Anything a model threw as a `ModelError`. A plain error is a bug in that adapter; it counts as
 * a server error so the chain keeps answering while the log shows it.
 */
function toModelError(err: unknown, model: string): ModelError {
  if (err instanceof ModelError) return err;
  return new ModelError("server_error", `${model} threw: ${err instanceof Error ? err.message : String(err)}`, {
    model,
    cause: err,
  });
}

/** Waits `ms`, or fails as aborted when `signal` fires first. */
function sleep(ms: number, signal: AbortSignal | undefined, model: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(model, signal.reason));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(model, signal?.reason));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
