/**
 * What a conversation's answering turn calls: `runProcedureTurn` before retrieval (a visitor's
 * words that trigger a procedure get the action's answer without a model), and, for the model's
 * tool loop, `listToolsForModel` (what the model is shown) and `runToolCall` (one call it asks
 * for). Each runs through the same executor and call log as a test call.
 */
import { createDb } from "../storage/db";
import { newCallId } from "./action-calls";
import { allActionsOf, type ActionRow } from "./action-store";
import { modelParameters, type ParameterSchema, type VerifiedIdentity } from "./parameters";
import { matchProcedure, procedureAnswer, type ProcedureAction } from "./procedures";
import { runAction, type RunEnv, type RunOptions, type ToolCallRecord } from "./run-action";

/** Who is asking, in which conversation. */
export interface TurnContext {
  workspaceId: string;
  assistantId: string;
  conversationId: string | null;
  /** The verified visitor's claims, or null when the conversation is not verified. */
  identity: VerifiedIdentity | null;
}

/** A tool as a model's native tool calling takes it. */
export interface ModelTool {
  /** The action's id, for the stored call. */
  id: string;
  name: string;
  description: string;
  /** JSON Schema of the arguments, identity-bound parameters left out. */
  parameters: Record<string, unknown>;
  /** True when the call changes something: the loop asks the visitor to confirm first. */
  mutating: boolean;
  /** True when a failed call hands the conversation to a person. */
  handoffOnFailure: boolean;
}

/** What a tool call gives back to the model loop. */
export interface ToolCallResult {
  /** The stored call (redacted), for the message's `tool_calls`. */
  call: ToolCallRecord;
  /** What the model is told: the chosen response fields, or the error; secrets removed. */
  content: { result: unknown } | { error: string };
}

function asProcedureAction(row: ActionRow): ProcedureAction & { row: ActionRow } {
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    mutating: row.mutating,
    parameters: row.parameters as ParameterSchema,
    triggers: (row.triggers as ProcedureAction["triggers"]) ?? null,
    row,
  };
}

/** The assistant's enabled actions as tools for the model. */
export async function listToolsForModel(env: RunEnv, ctx: Pick<TurnContext, "workspaceId" | "assistantId">): Promise<ModelTool[]> {
  const rows = await allActionsOf(createDb(env.DB), ctx.workspaceId, ctx.assistantId);
  return rows
    .filter((r) => r.enabled)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((r) => ({ id: r.id, name: r.name, description: r.description, parameters: modelParameters(r.parameters as ParameterSchema), mutating: r.mutating, handoffOnFailure: r.handoff_on_failure }));
}

/**
 * Runs the tool the model asked for by name. An unknown or switched-off name is a failed call
 * (told to the model, not stored: there is no action to log it under).
 */
export async function runToolCall(
  env: RunEnv,
  ctx: TurnContext,
  request: { name: string; arguments: Record<string, unknown> },
  opts: RunOptions = {},
): Promise<ToolCallResult> {
  const rows = await allActionsOf(createDb(env.DB), ctx.workspaceId, ctx.assistantId);
  const action = rows.find((r) => r.name === request.name && r.enabled);
  if (!action) {
    const error = `no tool named ${request.name.slice(0, 64)}`;
    return {
      call: { call_id: `call_unknown_${crypto.randomUUID()}`, action_id: "", name: request.name.slice(0, 64), status: "failed", arguments: {}, error },
      content: { error },
    };
  }
  const { outcome, record } = await runAction(env, action, { arguments: request.arguments, identity: ctx.identity }, { source: "model", conversationId: ctx.conversationId }, opts);
  return {
    call: record,
    content: outcome.status === "done" ? { result: record.result } : { error: record.error ?? outcome.error },
  };
}

/** A procedure's call about to run: its id (the stored call's) and its action's name. */
export interface StartingCall {
  call_id: string;
  name: string;
}

/**
 * The procedure the visitor's text triggers, run, with its answer; null when no procedure
 * matches (the turn goes on to retrieval and the model). `onStart` hears of the call before
 * any request is made, so the visitor sees it running while the service works.
 */
export async function runProcedureTurn(
  env: RunEnv,
  input: TurnContext & { text: string; language: string },
  opts: RunOptions & { onStart?(call: StartingCall): void } = {},
): Promise<{ answer: string; call: ToolCallRecord; handoffOnFailure: boolean } | null> {
  const rows = await allActionsOf(createDb(env.DB), input.workspaceId, input.assistantId);
  const match = matchProcedure(rows.map(asProcedureAction), input.text, input.language);
  if (!match) return null;
  const action = match.action.row;
  const callId = newCallId();
  opts.onStart?.({ call_id: callId, name: action.name });
  const { outcome, record } = await runAction(
    env,
    action,
    { arguments: match.arguments, identity: input.identity },
    { source: "procedure", conversationId: input.conversationId, callId },
    opts,
  );
  const answer = procedureAnswer(outcome, {
    template: action.answer_template,
    arguments: match.arguments,
    language: input.language,
    notVerified: action.requires_verified && !input.identity,
    notFound: outcome.status === "failed" && outcome.httpStatus === 404,
  });
  return { answer, call: record, handoffOnFailure: action.handoff_on_failure };
}
