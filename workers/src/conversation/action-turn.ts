/**
 * The business's actions in a conversation's answering turn: a procedure the visitor's words
 * trigger answers without a model (its call's `tool` events to every socket, the call stored on
 * the answer), the tools a tool-capable model is offered (events forwarded, changing calls
 * confirmed by the visitor), and what a failed call leaves for the agent a hand-off reaches.
 */
import { runProcedureTurn } from "../actions/turn";
import type { ToolCallRecord } from "../actions/run-action";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import type { AnswerTools } from "./answer-tools";
import { CHANNEL_CONFIRM_TIMEOUT_MS, confirmTimeoutMs, SOCKETLESS_CHANNELS } from "./confirmations";
import { requireConversation, type ConversationContext } from "./conversation-context";
import { verifiedIdentityOf } from "./conversation-view";
import { confirmationReply } from "./action-text";
import { failedCallsNote } from "./failed-calls";
import { openEscalation } from "./open-escalation";
import type { MessageView, ToolCall } from "./protocol";

/** The conversation's actions context: who the calls run for (the verified visitor, if any). */
function turnOf(cx: ConversationContext) {
  const conv = requireConversation(cx.store);
  return { workspaceId: conv.workspace_id, assistantId: conv.assistant_id, conversationId: conv.id, identity: verifiedIdentityOf(conv) };
}

/** The visitor's sockets told of a call's state, and the changing ones confirmed by the visitor. */
export function answerToolsFor(cx: ConversationContext, replyTo: string, signal: AbortSignal): AnswerTools {
  return {
    turn: turnOf(cx),
    onEvent(event) {
      // The wire knows running, done and failed; a declined call was answered by the visitor themselves.
      if (event.status === "declined") return;
      cx.fanOut.broadcast({ type: "tool", call_id: event.call_id, name: event.name, status: event.status }, undefined, replyTo);
    },
    confirm(call) {
      // A channel visitor answers with their next message (`submitVisitorMessage`), which takes longer than a click.
      const socketless = SOCKETLESS_CHANNELS.has(requireConversation(cx.store).channel);
      const timeout = socketless ? CHANNEL_CONFIRM_TIMEOUT_MS : confirmTimeoutMs(cx.env);
      const answer = cx.confirmations.wait(call.call_id, timeout, signal, replyTo);
      cx.fanOut.broadcast({ type: "confirm_request", call_id: call.call_id, name: call.name, summary: call.summary }, undefined, replyTo);
      // The channel job asks the visitor and is done; their reply's job hears the rest.
      if (socketless) cx.fanOut.endStreams(replyTo);
      return answer;
    },
  };
}

/**
 * Reads a channel visitor's message as the answer to the confirmation their conversation waits
 * for, if any: a yes or a no (in any supported language) settles it, and the message asks for no
 * answer of its own; returns the question whose answer goes on. Anything else declines the
 * waiting call and is a new message (null). Conversations with sockets confirm by frame only.
 */
export function answerWaitingConfirmation(cx: ConversationContext, message: MessageView): string | null {
  if (!SOCKETLESS_CHANNELS.has(requireConversation(cx.store).channel)) return null;
  const waiting = cx.confirmations.oldest();
  if (!waiting) return null;
  const reply = confirmationReply(message.content);
  cx.confirmations.answer(waiting.callId, reply === true);
  if (reply === null || !waiting.questionId) return null;
  cx.store.setAnswerState(message.id, "skipped");
  return waiting.questionId;
}

/** A stored procedure call as the answer's `tool_calls` show it. */
function storedCall(call: ToolCallRecord): ToolCall {
  return call as ToolCall;
}

/**
 * Answers `question` with the procedure its words trigger, if any: the call's `running` event
 * before the service is asked, `done`/`failed` when it answered, the answer streamed and stored
 * with its call, and a hand-off (with the call's error for the agent) when the service failed
 * and the action hands off on failure. False when no procedure matched (the turn goes on to
 * retrieval).
 */
export async function answerWithProcedure(cx: ConversationContext, question: MessageView, language: string, started: number): Promise<boolean> {
  const { store, fanOut } = cx;
  const turn = turnOf(cx);
  const answerId = newId("message");
  const ran = await runProcedureTurn(
    cx.env,
    { ...turn, text: question.content, language },
    {
      onStart(starting) {
        store.insertMessage({ id: answerId, sender_type: "assistant", content: "", status: "streaming", language, reply_to: question.id, created_at: nowIso() });
        fanOut.broadcast({ type: "typing", sender_type: "assistant" }, undefined, question.id);
        fanOut.broadcast({ type: "tool", call_id: starting.call_id, name: starting.name, status: "running" }, undefined, question.id);
      },
    },
  );
  if (!ran) return false;
  const call = storedCall(ran.call);

  fanOut.broadcast({ type: "tool", call_id: call.call_id, name: call.name, status: call.status === "done" ? "done" : "failed" }, undefined, question.id);
  store.appendChunk(answerId, 0, ran.answer);
  fanOut.broadcast({ type: "delta", message_id: answerId, delta: ran.answer, seq: 0 }, undefined, question.id);

  const final = store.finishAnswer(
    answerId,
    {
      content: ran.answer,
      status: "complete",
      sources: [],
      confidence: call.status === "done" ? 1 : 0,
      tokens_used: 0,
      latency_ms: Date.now() - started,
      cost_usd: 0,
      model: null,
      tool_calls: [call],
    },
    nowIso(),
  );
  store.setAnswerState(question.id, "answered");
  store.outbox.enqueue("message", answerId);
  store.outbox.enqueue("conversation", turn.conversationId);
  fanOut.broadcast({ type: "response", message: final }, undefined, question.id);
  cx.emit({ type: "message.answered", latency_ms: final.latency_ms, tokens: 0, cost_usd: 0, properties: { confidence: final.confidence, status: "complete", procedure: call.name } });

  // The action decides whether its failure goes to a person, not the assistant's threshold.
  const note = failedCallsNote([call]);
  if (note && ran.handoffOnFailure && requireConversation(store).status !== "escalated") openEscalation(cx, "no_match", note, question.id);
  cx.flushSoon();
  return true;
}
