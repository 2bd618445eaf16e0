/**
 * The decisions of an answering turn, as pure functions (no storage, no sockets, no clock): which
 * turns the model sees, when a question goes straight to a person, when an answer is followed by
 * an escalation, what is stored and counted about an answer, and what a budget refusal tells
 * whoever is waiting. `answer-turn.ts` does the I/O around them.
 */
import type { ChatMessage } from "../llm/chat-model";
import { DECLINED_RESULT } from "../llm/tool-loop";
import type { AnswerOutcome } from "./answer";
import type { ConversationEvent } from "./conversation-context";
import { asksForHuman, soundsFrustrated } from "./intent";
import type { EscalationReason } from "./open-escalation";
import type { ConversationStatus, MessageView, ServerEvent, ToolCall } from "./protocol";
import type { AnswerFields } from "./store-rows";

/** Turns of history given to the model besides the question. */
export const HISTORY_MESSAGES = 20;
/** Characters of an unanswered question kept in its analytics event, to show what the knowledge base lacks. */
export const UNANSWERED_QUESTION_CHARS = 500;

/** Longest result or error of an earlier call the model reads again, in characters. */
export const REPLAYED_RESULT_MAX_CHARS = 1_000;
/** Most calls of one earlier answer the model reads again (an answer runs a handful at most). */
export const REPLAYED_CALLS_PER_ANSWER = 8;

/** A call id every provider takes back (`^[A-Za-z0-9_-]{1,64}$`). */
function replayedCallId(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64) || "call";
}

function cutReplayed(text: string): string {
  return text.length > REPLAYED_RESULT_MAX_CHARS ? `${text.slice(0, REPLAYED_RESULT_MAX_CHARS)}… [cut]` : text;
}

/**
 * The calls an earlier answer ran, as the model made them: an assistant turn with its calls,
 * then each call's result (as stored, so redacted), its error, or the visitor's decline.
 */
export function replayedToolTurns(calls: readonly ToolCall[]): ChatMessage[] {
  const shown = calls.slice(0, REPLAYED_CALLS_PER_ANSWER).map((c) => ({ ...c, call_id: replayedCallId(c.call_id) }));
  if (shown.length === 0) return [];
  const results: ChatMessage[] = shown.map((c) => {
    if (c.status === "done") return { role: "tool", call_id: c.call_id, name: c.name, content: cutReplayed(JSON.stringify(c.result ?? null)) };
    if (c.status === "declined") return { role: "tool", call_id: c.call_id, name: c.name, content: DECLINED_RESULT };
    return { role: "tool", call_id: c.call_id, name: c.name, content: cutReplayed(`Error: ${c.error ?? "the call failed"}`), is_error: true };
  });
  return [{ role: "assistant", content: "", tool_calls: shown.map((c) => ({ call_id: c.call_id, name: c.name, arguments: c.arguments })) }, ...results];
}

/**
 * The earlier turns as the model reads them: visitor words as the user's, answers and agents'
 * replies as the assistant's, an answer's action calls and their results just before its text.
 * A model without tools never sees the calls (`withoutTools` drops them).
 */
export function promptHistory(messages: readonly MessageView[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    if (m.sender_type === "system") continue;
    if (m.sender_type === "assistant" && m.tool_calls?.length) out.push(...replayedToolTurns(m.tool_calls));
    if (m.content.length > 0) out.push({ role: m.sender_type === "visitor" ? "user" : "assistant", content: m.content });
  }
  return out;
}

/**
 * Why a question goes to a person without a model call, or null to answer it: the assistant is
 * gone (nothing can answer), or the visitor asked for a person.
 */
export function handoffReason(assistantFound: boolean, question: string): EscalationReason | null {
  if (!assistantFound) return "no_match";
  return asksForHuman(question) ? "user_request" : null;
}

/** What a finished answer says about the need for a person. */
export type AnswerVerdict = Pick<AnswerOutcome, "status" | "noMatch" | "confidence"> & Partial<Pick<AnswerOutcome, "failure_handoff">>;

/**
 * Why an answer is followed by an escalation, or null: only a complete answer in a conversation
 * not already with a person; then, when an action call failed, whatever its action says
 * (`handoff_on_failure`); else nothing found, a confidence under the assistant's threshold, or a
 * frustrated visitor, in that order.
 */
export function escalationAfterAnswer(
  answer: AnswerVerdict,
  escalationThreshold: number,
  question: string,
  conversationStatus: ConversationStatus,
): EscalationReason | null {
  if (answer.status !== "complete" || conversationStatus === "escalated") return null;
  if (answer.failure_handoff !== undefined && answer.failure_handoff !== null) return answer.failure_handoff ? "no_match" : null;
  if (answer.noMatch) return "no_match";
  if (answer.confidence < escalationThreshold) return "low_confidence";
  return soundsFrustrated(question) ? "negative_sentiment" : null;
}

/** The fields an answer is stored with when its stream ends. */
export function finishedAnswerFields(outcome: AnswerOutcome, latencyMs: number): AnswerFields {
  return {
    content: outcome.content,
    status: outcome.status,
    sources: outcome.sources,
    confidence: outcome.confidence,
    tokens_used: outcome.tokens_used,
    latency_ms: latencyMs,
    cost_usd: outcome.cost_usd,
    model: outcome.model,
    tool_calls: outcome.tool_calls,
  };
}

/** The analytics event of an answer; an unanswered question's words (the start of them) go with it. */
/** Where an answer's time went, in milliseconds from the question (first delta) or per stage. */
export interface AnswerTimings {
  first_delta_ms: number | null;
  retrieval_ms: number | null;
  llm_ms: number | null;
}

export function answeredEvent(outcome: AnswerOutcome, question: string, latencyMs: number | null, timings?: AnswerTimings): ConversationEvent {
  return {
    type: "message.answered",
    latency_ms: latencyMs,
    tokens: outcome.tokens_used,
    cost_usd: outcome.cost_usd,
    properties: {
      confidence: outcome.confidence,
      status: outcome.status,
      model: outcome.model,
      no_match: outcome.noMatch,
      sources: outcome.sources.length,
      ...(timings ?? {}),
      ...(outcome.noMatch ? { question: question.slice(0, UNANSWERED_QUESTION_CHARS) } : {}),
    },
  };
}

/** A budget refusal as the turn reports it: its code, what the visitor reads, and when to retry. */
export interface BudgetRefusal {
  code: string;
  message: string;
  retryAfterSeconds: number;
}

/**
 * What a question the model budget refused leads to: no answer is stored and the question is
 * not answered later; every socket and the REST caller hear `rate_limited` with the question's
 * client id (so the widget marks that message) and when to retry; the refusal is counted.
 */
export function budgetRefusalOutcome(
  question: Pick<MessageView, "client_id">,
  refusal: BudgetRefusal,
): { answerState: "skipped"; event: ServerEvent; analytics: ConversationEvent } {
  return {
    answerState: "skipped",
    event: { type: "error", code: refusal.code, message: refusal.message, retry_after: refusal.retryAfterSeconds, client_id: question.client_id },
    analytics: { type: "message.refused", properties: { reason: "model_budget" } },
  };
}

/** An answer a restart cut off: what it had streamed, marked failed. */
export function interruptedAnswerFields(deltas: readonly string[]): AnswerFields {
  return { content: deltas.join(""), status: "failed" };
}
