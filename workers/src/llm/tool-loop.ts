import type { ChatChunk, ChatMessage, ChatModel, ChatRequest, TokenUsage, ToolCall, ToolSpec, ValidToolCall } from "./chat-model";
import { abortedError, ModelError } from "./model-error";

/**
 * The tool-calling loop of one answer: ask the model, run the calls it makes (in parallel, each
 * with a timeout, mutating ones only once the visitor confirms), give it the results, and ask
 * again until it answers in text or the step limit is reached. It does no I/O of its own: the
 * model, the executor, the confirmation and the events are the caller's.
 *
 * The visitor sees the text of every step as one answer; the final `done` chunk carries the
 * tokens of all steps, so the caller meters the loop like a single answer. When a later step
 * fails, the `ModelError` thrown carries the tokens the earlier steps spent (`usage`).
 */

/** Where a tool call stands: on the wire (`tool` events) and in a message's `tool_calls`. */
export type ToolCallStatus = "running" | "done" | "failed" | "declined";

/** A tool call changed state: what the caller forwards to the visitor's sockets. */
export interface ToolEvent {
  type: "tool";
  call_id: string;
  name: string;
  status: ToolCallStatus;
  /** Why a call failed, as told to the model. */
  error?: string;
}

/** What became of one call, for storing with the answer. */
export interface ToolCallRecord {
  call_id: string;
  name: string;
  status: Exclude<ToolCallStatus, "running">;
  /** The parsed arguments; null when the model's were not a JSON object. */
  arguments: Record<string, unknown> | null;
  /** The result as the model read it (JSON or text, cut at `maxResultChars`). */
  result?: string;
  error?: string;
  /** The model call (1-based) that asked for it. */
  step: number;
}

/** How to run the loop. */
export interface ToolLoopOptions {
  model: ChatModel;
  /** The prompt and settings; its `tools` and `toolChoice` are the loop's to set. */
  request: ChatRequest;
  /** Tools the model may call; a model without tool support gets none and answers in text. */
  tools: ToolSpec[];
  /** Runs one call; the result goes to the model as JSON (a string as is). Throws to fail it. */
  execute(call: ValidToolCall, signal: AbortSignal): Promise<unknown>;
  /** True for calls that must be confirmed first (mutating actions). */
  needsConfirmation?(call: ValidToolCall): boolean;
  /** Asks the visitor to approve `call`; false (or a throw) declines it. */
  confirm?(call: ValidToolCall): Promise<boolean>;
  /** Told of every call's `running`, `done`, `failed` or `declined`. */
  onEvent?(event: ToolEvent): void;
  /** Most model calls for one answer; the last is asked to answer in text (`toolChoice: none`). */
  maxSteps: number;
  /** Longest a call may run, in milliseconds. */
  callTimeoutMs: number;
  /** Longest result, in characters, given to the model; the rest is cut with a note. */
  maxResultChars: number;
}

/** What the loop did, returned when its stream ends. */
export interface ToolLoopResult {
  /** The turns the loop added after `request.messages` (assistant tool calls and results). */
  messages: ChatMessage[];
  calls: ToolCallRecord[];
  /** Model calls made. */
  steps: number;
  /** Tokens of every step together (also in the final `done` chunk). */
  usage: TokenUsage;
}

const MAX_ERROR_CHARS = 500; // an executor's error message is for the model, not a stack trace
/** What the model is told of a call the visitor declined. */
export const DECLINED_RESULT = "The visitor declined this action, so it was not carried out. Do not try it again unless they ask.";

/**
 * Streams the answer to `options.request`, running the tools the model calls in between. Yields
 * text deltas and one final `done` (tokens of all steps); returns what was done.
 */
export async function* runToolLoop(options: ToolLoopOptions): AsyncGenerator<ChatChunk, ToolLoopResult> {
  const { model, request, maxSteps } = options;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError("maxSteps must be a positive integer");
  const tools = model.supportsTools && options.tools.length > 0 ? options.tools : undefined;
  const usage: TokenUsage = { input_tokens: 0, output_tokens: 0, estimated: false };
  const added: ChatMessage[] = [];
  const records: ToolCallRecord[] = [];
  let wrote = false;

  for (let step = 1; ; step++) {
    const last = step >= maxSteps;
    const req: ChatRequest = {
      ...request,
      messages: [...request.messages, ...added],
      tools,
      toolChoice: tools ? (last ? "none" : "auto") : undefined,
    };
    let text = "";
    const calls: ToolCall[] = [];
    let done: Extract<ChatChunk, { type: "done" }> | undefined;
    try {
      for await (const chunk of model.stream(req)) {
        if (chunk.type === "delta") {
          // Text of a later step starts a new paragraph of the one answer.
          if (!text && wrote) yield { type: "delta", text: "\n\n" };
          text += chunk.text;
          wrote = true;
          yield chunk;
        } else if (chunk.type === "tool_call") {
          calls.push(chunk.call);
        } else {
          done = chunk;
        }
      }
    } catch (err) {
      if (step > 1 && err instanceof ModelError) throw withSpent(err, usage);
      throw err;
    }
    if (!done) throw new ModelError("connection", `${model.name} ended without finishing`, { model: model.name, usage });
    addUsage(usage, done.usage);

    if (calls.length === 0 || last) {
      // Calls asked for despite `toolChoice: none` are not run: the limit is the limit.
      for (const call of calls) {
        const error = "the step limit was reached before this call could run";
        records.push(record(call, step, "failed", { error }));
        options.onEvent?.({ type: "tool", call_id: call.call_id, name: call.name, status: "failed", error });
      }
      yield { type: "done", model: done.model, usage: { ...usage }, finish_reason: done.finish_reason };
      return { messages: added, calls: records, steps: step, usage: { ...usage } };
    }

    added.push({ role: "assistant", content: text, tool_calls: calls });
    const results = await Promise.all(calls.map((call) => runCall(options, call, step, tools ?? [])));
    if (request.signal?.aborted) throw withSpent(abortedError(model.name, request.signal.reason), usage);
    for (const { message, rec } of results) {
      added.push(message);
      records.push(rec);
    }
  }
}

/** Runs one call to its end: never throws, every outcome is a message for the model. */
async function runCall(
  options: ToolLoopOptions,
  call: ToolCall,
  step: number,
  tools: readonly ToolSpec[],
): Promise<{ message: Extract<ChatMessage, { role: "tool" }>; rec: ToolCallRecord }> {
  const emit = (status: ToolCallStatus, error?: string) =>
    options.onEvent?.({ type: "tool", call_id: call.call_id, name: call.name, status, ...(error ? { error } : {}) });
  const fail = (error: string) => {
    emit("failed", error);
    return {
      message: toolMessage(call, `Error: ${error}`, true),
      rec: record(call, step, "failed", { error }),
    };
  };

  if (call.invalid) return fail(`the arguments are not valid JSON (${call.invalid.error}); call it again with a JSON object matching its parameters`);
  if (!tools.some((t) => t.name === call.name)) return fail(`there is no tool named ${call.name}`);
  if (options.needsConfirmation?.(call)) {
    const approved = options.confirm ? await options.confirm(call).catch(() => false) : false;
    if (!approved) {
      emit("declined");
      return { message: toolMessage(call, DECLINED_RESULT, false), rec: record(call, step, "declined", {}) };
    }
  }

  emit("running");
  let value: unknown;
  try {
    value = await withTimeout(options.execute.bind(options), call, options.callTimeoutMs, options.request.signal);
  } catch (err) {
    return fail(errorText(err));
  }
  let text: string;
  try {
    text = typeof value === "string" ? value : (JSON.stringify(value) ?? "null");
  } catch {
    return fail("the tool returned a result that is not JSON");
  }
  const result = cut(text, options.maxResultChars);
  emit("done");
  return { message: toolMessage(call, result, false), rec: record(call, step, "done", { result }) };
}

/** Runs `execute`, failing when it takes longer than `ms` or the answer is stopped. */
async function withTimeout(
  execute: ToolLoopOptions["execute"],
  call: ValidToolCall,
  ms: number,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  // Raced as well as signalled: the loop must not depend on the executor honouring the signal.
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`the tool did not answer within ${ms} ms`));
    }, ms);
    onAbort = () => {
      controller.abort(signal?.reason);
      reject(new Error("the answer was stopped"));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([execute(call, controller.signal), stop]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

function toolMessage(call: ToolCall, content: string, isError: boolean): Extract<ChatMessage, { role: "tool" }> {
  return { role: "tool", call_id: call.call_id, name: call.name, content, ...(isError ? { is_error: true } : {}) };
}

function record(call: ToolCall, step: number, status: ToolCallRecord["status"], extra: { result?: string; error?: string }): ToolCallRecord {
  return { call_id: call.call_id, name: call.name, status, arguments: call.arguments ?? null, ...extra, step };
}

/** `text` cut to `max` characters (never inside a surrogate pair), with a note of what was left out. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}… [cut: ${text.length - end} more characters]`;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return cut(text || "the tool failed", MAX_ERROR_CHARS);
}

function addUsage(total: TokenUsage, step: TokenUsage): void {
  total.input_tokens += step.input_tokens;
  total.output_tokens += step.output_tokens;
  total.estimated ||= step.estimated;
}

/** `err` carrying the tokens the loop's completed steps spent. */
function withSpent(err: ModelError, usage: TokenUsage): ModelError {
  return new ModelError(err.kind, err.message, {
    model: err.model,
    status: err.status,
    retryAfterMs: err.retryAfterMs,
    cause: err,
    usage: { ...usage },
  });
}
