import type { ChatMessage, ChatRequest, ToolCall } from "./chat-model";

/**
 * Tool calls as every adapter reads and writes them: arguments parsed into an object or kept as
 * `invalid`, OpenAI-style streamed fragments put back together by index, and the raw text of a
 * call's arguments for sending the history back.
 */

/**
 * The call `name` made with the JSON text `raw`. An empty text is an empty object (servers send
 * `""` for a tool without parameters); anything that is not a JSON object is `invalid`.
 */
export function parseToolCall(call_id: string, name: string, raw: string): ToolCall {
  if (raw.trim() === "") return { call_id, name, arguments: {} };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { call_id, name, invalid: { raw, error: err instanceof Error ? err.message : String(err) } };
  }
  if (!isPlainObject(value)) return { call_id, name, invalid: { raw, error: "the arguments are not a JSON object" } };
  return { call_id, name, arguments: value };
}

/**
 * The call `name` made with `value`, which some providers send already parsed (Workers AI's
 * older function-calling models) and others as JSON text.
 */
export function toolCallFromValue(call_id: string, name: string, value: unknown): ToolCall {
  if (typeof value === "string") return parseToolCall(call_id, name, value);
  if (value === undefined || value === null) return { call_id, name, arguments: {} };
  if (isPlainObject(value)) return { call_id, name, arguments: value };
  return { call_id, name, invalid: { raw: JSON.stringify(value), error: "the arguments are not a JSON object" } };
}

/** The arguments of `call` as the JSON text a provider expects back in the history. */
export function rawArguments(call: ToolCall): string {
  return call.invalid ? call.invalid.raw : JSON.stringify(call.arguments);
}

/** A fresh call id for providers that do not name their calls. */
export function newCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

/** One fragment of a streamed call, in the OpenAI shape (Workers AI uses it too). */
export interface ToolCallFragment {
  index?: number;
  id?: string | null;
  function?: { name?: string | null; arguments?: unknown } | null;
  /** Workers AI's older models send whole calls as `{name, arguments}` without an index. */
  name?: string | null;
  arguments?: unknown;
}

/**
 * Puts streamed tool-call fragments back together: fragments with the same `index` are one call
 * (its id and name arrive first, the argument text in pieces); a fragment without an index is a
 * whole call of its own. `calls()` returns them complete, in the order they were started.
 */
export class ToolCallAccumulator {
  private readonly slots = new Map<string, { id: string; name: string; text: string; value: unknown }>();
  private unindexed = 0;

  /** Takes one fragment. */
  add(fragment: ToolCallFragment): void {
    const key = typeof fragment.index === "number" ? `i${fragment.index}` : `u${this.unindexed++}`;
    let slot = this.slots.get(key);
    if (!slot) {
      slot = { id: "", name: "", text: "", value: undefined };
      this.slots.set(key, slot);
    }
    if (typeof fragment.id === "string" && fragment.id) slot.id = fragment.id;
    const name = fragment.function?.name ?? fragment.name;
    if (typeof name === "string" && name) slot.name = name;
    const args = fragment.function ? fragment.function.arguments : fragment.arguments;
    if (typeof args === "string") slot.text += args;
    else if (args !== undefined && args !== null) slot.value = args;
  }

  /** True when no fragment arrived. */
  get empty(): boolean {
    return this.slots.size === 0;
  }

  /** The complete calls, in the order they were started. */
  calls(): ToolCall[] {
    return [...this.slots.values()].map((slot) => {
      const id = slot.id || newCallId();
      return slot.value !== undefined && slot.text === "" ? toolCallFromValue(id, slot.name, slot.value) : parseToolCall(id, slot.name, slot.text);
    });
  }
}

/**
 * `req` for a model that cannot call tools: no tools, and a history without tool turns (an
 * assistant turn keeps its text, tool results are left out), so it reads as a plain chat.
 */
export function withoutTools(req: ChatRequest): ChatRequest & { tools?: undefined } {
  const messages: ChatMessage[] = [];
  for (const m of req.messages) {
    if (m.role === "tool") continue;
    if (m.role === "assistant") {
      if (m.content) messages.push({ role: "assistant", content: m.content });
      continue;
    }
    messages.push(m);
  }
  return { ...req, messages, tools: undefined, toolChoice: undefined };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
