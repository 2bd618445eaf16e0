/**
 * One answering turn of a conversation object: a pending visitor question is answered (retrieve
 * → prompt → stream → score, in `answer.ts`), every delta reaching every socket and buffered for
 * resuming ones, then stored and followed by an escalation when the answer calls for a person.
 * A question that asks for a person (or whose assistant is gone) gets the hand-off line instead,
 * and one the workspace's model budget refuses gets no answer at all. The decisions are in
 * `turn-decisions.ts`; this module does their I/O.
 */
import { checkModelBudget, ModelBudgetExceeded, type ModelBudgetGrant } from "../limits/model-budget";
import { newId } from "../lib/ids";
import { nowIso } from "../lib/time";
import { searchForAnswer } from "../knowledge/search";
import { answerToolsFor, answerWithProcedure } from "./action-turn";
import { failedCallsNote } from "./failed-calls";
import { generateAnswer, searchQuery, type AnswerOutcome } from "./answer";
import { isCurrentConfig, loadAnsweringAssistant, type AssistantConfig } from "./assistant-config";
import { requireConversation, type ConversationContext } from "./conversation-context";
import { DeltaCoalescer } from "./delta-coalescer";
import { handoffText } from "./handoff-text";
import { openEscalation, type EscalationReason } from "./open-escalation";
import type { MessageView } from "./protocol";
import {
  answeredEvent,
  budgetRefusalOutcome,
  escalationAfterAnswer,
  finishedAnswerFields,
  handoffReason,
  HISTORY_MESSAGES,
  promptHistory,
} from "./turn-decisions";

/** Answers one pending visitor question (or settles it without an answer). */
export async function answerQuestion(cx: ConversationContext, question: MessageView): Promise<void> {
  const { store, fanOut } = cx;
  const conv = requireConversation(store);
  if (conv.human_takeover === 1) {
    store.setAnswerState(question.id, "skipped");
    return;
  }
  const started = Date.parse(question.created_at);
  const language = question.language ?? "en";

  // An assistant known to be deleted never answers; any other is confirmed after retrieval.
  const cached = store.assistantConfig.get();
  const handoff = handoffReason(cached?.config !== null, question.content);
  if (handoff) {
    finishWithHandoff(cx, question, language, handoff, started);
    return;
  }

  // No model call without the workspace's budget: over it, the question gets no answer at all.
  let budget: ModelBudgetGrant;
  try {
    budget = await checkModelBudget(cx.env, conv.workspace_id);
  } catch (err) {
    if (!(err instanceof ModelBudgetExceeded)) throw err;
    refuseOverBudget(cx, question, err);
    return;
  }

  // A procedure the visitor's words trigger answers from the business's service, without a model.
  if (await answerWithProcedure(cx, question, language, started)) return;

  const scope = { workspaceId: conv.workspace_id, assistantId: conv.assistant_id };
  const retrievalStarted = Date.now();
  const { hits, configVersion } = await searchForAnswer(cx.env, scope, searchQuery(question.content));
  const retrievalMs = Date.now() - retrievalStarted;
  const assistant = await currentAssistant(cx, configVersion);
  if (!assistant) {
    finishWithHandoff(cx, question, language, "no_match", started);
    return;
  }

  const answerId = newId("message");
  store.insertMessage({ id: answerId, sender_type: "assistant", content: "", status: "streaming", language, reply_to: question.id, created_at: nowIso() });
  fanOut.broadcast({ type: "typing", sender_type: "assistant" }, undefined, question.id);
  const signal = cx.generation.start(answerId);

  const history = promptHistory(store.recentMessages(HISTORY_MESSAGES, question.seq));
  const tools = answerToolsFor(cx, question.id, signal);
  const generator = generateAnswer(cx.env, { assistant, question: question.content, language, history, signal, retrieved: hits, tools }, budget);
  const deltas = new DeltaCoalescer((delta, seq) => {
    store.appendChunk(answerId, seq, delta);
    fanOut.broadcast({ type: "delta", message_id: answerId, delta, seq }, undefined, question.id);
  });
  let step: IteratorResult<string, AnswerOutcome>;
  const modelStarted = Date.now();
  let firstDeltaAt: number | null = null;
  try {
    for (step = await generator.next(); !step.done; step = await generator.next()) {
      firstDeltaAt ??= Date.now();
      deltas.push(step.value);
    }
  } finally {
    // Held text goes out before the response, so the frames always add up to the answer.
    deltas.flush();
  }
  const outcome = step.value;
  const timings = { first_delta_ms: firstDeltaAt === null ? null : firstDeltaAt - started, retrieval_ms: retrievalMs, llm_ms: Date.now() - modelStarted };
  cx.generation.end();

  const final = store.finishAnswer(answerId, finishedAnswerFields(outcome, Date.now() - started), nowIso());
  store.setAnswerState(question.id, "answered");
  store.outbox.enqueue("message", answerId);
  store.outbox.enqueue("conversation", conv.id);
  if (outcome.error) {
    fanOut.broadcast({ type: "error", code: outcome.error.code, message: outcome.error.message, message_id: answerId }, undefined, question.id);
  }
  fanOut.broadcast({ type: "response", message: final }, undefined, question.id);
  cx.emit(answeredEvent(outcome, question.content, final.latency_ms, timings));
  cx.logger.info("answer finished", { conversation_id: conv.id, message_id: answerId, status: outcome.status, latency_ms: final.latency_ms });

  // A failed action call goes to the agent with its error when its action hands off on failure.
  const reason = escalationAfterAnswer(outcome, assistant.escalation_threshold, question.content, requireConversation(store).status);
  if (reason) openEscalation(cx, reason, failedCallsNote(outcome.tool_calls), question.id);
  cx.flushSoon();
}

/**
 * The assistant's settings for this answer: the conversation's copy while it is current for
 * `version` (the config version retrieval just returned), else read from D1 and kept (see
 * `assistant-config.ts`). Null when the assistant is deleted.
 */
async function currentAssistant(cx: ConversationContext, version: string): Promise<AssistantConfig | null> {
  const now = Date.now();
  const cached = cx.store.assistantConfig.get();
  if (isCurrentConfig(cached, version, now)) return cached.config;
  const conv = requireConversation(cx.store);
  const config = await loadAnsweringAssistant(cx.env.DB, conv.workspace_id, conv.assistant_id);
  cx.store.assistantConfig.put({ version, config, loadedAt: now });
  return config;
}

/** Leaves a question unanswered because the workspace's model budget is used up (see `budgetRefusalOutcome`). */
function refuseOverBudget(cx: ConversationContext, question: MessageView, refusal: ModelBudgetExceeded): void {
  const { answerState, event, analytics } = budgetRefusalOutcome(question, refusal);
  cx.store.setAnswerState(question.id, answerState);
  cx.fanOut.broadcast(event, undefined, question.id);
  cx.emit(analytics);
}

/** Answers a request for a person with a short hand-off line, then escalates. */
function finishWithHandoff(cx: ConversationContext, question: MessageView, language: string, reason: EscalationReason, started: number): void {
  const { store } = cx;
  const message = store.insertMessage({
    id: newId("message"),
    sender_type: "assistant",
    content: handoffText(language),
    status: "complete",
    language,
    reply_to: question.id,
    created_at: nowIso(),
  });
  const final = store.finishAnswer(message.id, { content: message.content, status: "complete", confidence: 0, latency_ms: Date.now() - started }, nowIso());
  store.setAnswerState(question.id, "answered");
  store.outbox.enqueue("message", message.id);
  cx.fanOut.broadcast({ type: "response", message: final }, undefined, question.id);
  openEscalation(cx, reason, null, question.id);
  cx.flushSoon();
}
