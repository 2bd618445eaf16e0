/**
 * The business's actions in an answer: the tools a tool-capable model is shown, how each call it
 * makes runs (through the actions executor and call log, the verified visitor's identity bound),
 * how a changing call waits for the visitor's approval, and what is stored of every call on the
 * answer's `tool_calls`. The loop itself is `llm/tool-loop.ts`.
 */
import { listToolsForModel, runToolCall, type ModelTool, type TurnContext } from "../actions/turn";
import { redactForStorage, redactMessage } from "../actions/redact";
import type { ChatModel, ChatRequest, ValidToolCall } from "../llm/chat-model";
import type { ToolCallRecord as LoopRecord, ToolEvent, ToolLoopOptions } from "../llm/tool-loop";
import type { ToolCall } from "./protocol";

/** Most model calls for one answer: a lookup, a follow-up, and the answer in text. */
export const TOOL_LOOP_MAX_STEPS = 4;
/**
 * Longest one call may run in the loop, in milliseconds: above the executor's own per-action
 * timeout (which fails the call with its own message first) so the loop's is a backstop.
 */
export const TOOL_CALL_TIMEOUT_MS = 30_000;
/** Longest result, in characters, the model reads of one call. */
export const TOOL_RESULT_MAX_CHARS = 4_000;
/** Longest summary of a call in a `confirm_request`. */
const SUMMARY_MAX_CHARS = 300;

/** What an answer needs to offer the assistant's actions to its model. */
export interface AnswerTools {
  /** The workspace, assistant, conversation and verified visitor the calls run for. */
  turn: TurnContext;
  /** Every call's `running`, `done`, `failed` (and `declined`) as it happens. */
  onEvent(event: ToolEvent): void;
  /** Asks the visitor to approve a changing call; resolves false when declined or unanswered. */
  confirm(call: { call_id: string; name: string; summary: string }): Promise<boolean>;
}

/** A one-line description of a call for the visitor to approve: its name and (redacted) arguments. */
export function callSummary(name: string, args: Record<string, unknown>): string {
  const shown = Object.entries(redactForStorage(args) as Record<string, unknown>)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(", ");
  const text = shown ? `${name} (${shown})` : name;
  return text.length > SUMMARY_MAX_CHARS ? `${text.slice(0, SUMMARY_MAX_CHARS - 1)}…` : text;
}

/** The loop's options for `model` and `request` with the assistant's enabled actions; null when it has none. */
export async function toolLoopOptions(
  env: Env,
  tools: AnswerTools,
  model: ChatModel,
  request: ChatRequest,
): Promise<{ options: ToolLoopOptions; stored: (records: readonly LoopRecord[]) => ToolCall[]; handsOff: (call: ToolCall) => boolean } | null> {
  if (!model.supportsTools) return null;
  const available: ModelTool[] = await listToolsForModel(env, tools.turn);
  if (available.length === 0) return null;
  const byName = new Map(available.map((t) => [t.name, t]));
  const ran = new Map<string, ToolCall>();

  const options: ToolLoopOptions = {
    model,
    request,
    tools: available.map((t) => ({ name: t.name, description: t.description, parameters: t.parameters })),
    maxSteps: TOOL_LOOP_MAX_STEPS,
    callTimeoutMs: TOOL_CALL_TIMEOUT_MS,
    maxResultChars: TOOL_RESULT_MAX_CHARS,
    async execute(call: ValidToolCall) {
      const { call: record, content } = await runToolCall(env, tools.turn, { name: call.name, arguments: call.arguments });
      ran.set(call.call_id, { ...(record as ToolCall), call_id: call.call_id });
      if ("error" in content) throw new Error(content.error);
      return content.result;
    },
    needsConfirmation: (call) => byName.get(call.name)?.mutating === true,
    confirm: (call) => tools.confirm({ call_id: call.call_id, name: call.name, summary: callSummary(call.name, call.arguments) }),
    onEvent: (event) => tools.onEvent(event),
  };

  const stored = (records: readonly LoopRecord[]): ToolCall[] =>
    records.map((rec) => {
      const done = ran.get(rec.call_id);
      return {
        call_id: rec.call_id,
        action_id: done?.action_id ?? byName.get(rec.name)?.id ?? "",
        name: rec.name,
        status: rec.status,
        arguments: done?.arguments ?? (redactForStorage(rec.arguments ?? {}) as ToolCall["arguments"]),
        ...(rec.status === "done" && done && "result" in done ? { result: done.result } : {}),
        ...(rec.error ? { error: redactMessage(rec.error) } : {}),
      };
    });
  // A call of an action removed meanwhile hands off, the default of every action.
  const handsOff = (call: ToolCall): boolean => byName.get(call.name)?.handoffOnFailure ?? true;
  return { options, stored, handsOff };
}
