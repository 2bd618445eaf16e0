/**
 * What a failed action call means for the conversation, as pure functions: whether a person
 * should look at it, and the note an escalation carries for the agent.
 */
import type { ToolCall } from "./protocol";

/**
 * Whether a failed call is one a person should look at: the service failed or did not answer.
 * A refusal for an unverified visitor, arguments that do not fit, or a 404 (nothing found) are
 * answered honestly to the visitor and need no one.
 */
export function needsAgent(call: Pick<ToolCall, "status" | "error">): boolean {
  if (call.status !== "failed") return false;
  const error = call.error ?? "";
  return !/verified visitor|arguments do not fit|not valid JSON|no tool named|step limit|\b404\b/i.test(error);
}

/** The note an escalation carries for the agent: which calls failed and why; null when none did. */
export function failedCallsNote(calls: readonly ToolCall[]): string | null {
  const failed = calls.filter(needsAgent);
  if (failed.length === 0) return null;
  return `An action failed while answering: ${failed.map((c) => `${c.name} (${c.call_id}): ${c.error ?? "failed"}`).join("; ")}`.slice(0, 1_000);
}
