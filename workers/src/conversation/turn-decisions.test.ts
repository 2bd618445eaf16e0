import { describe, expect, it } from "vitest";
import type { AnswerOutcome } from "./answer";
import { messageView } from "../../test/message-fixture";
import type { MessageView } from "./protocol";
import {
  answeredEvent,
  budgetRefusalOutcome,
  escalationAfterAnswer,
  finishedAnswerFields,
  handoffReason,
  interruptedAnswerFields,
  promptHistory,
  UNANSWERED_QUESTION_CHARS,
} from "./turn-decisions";

function message(sender_type: MessageView["sender_type"], content: string): MessageView {
  return messageView({ id: `msg_${content.length}`, sender_type, content, language: "en" });
}

function outcome(fields: Partial<AnswerOutcome> = {}): AnswerOutcome {
  return {
    content: "Returns are free within 30 days [1].",
    status: "complete",
    sources: [{ document_id: "doc_1", title: "Returns", chunk_id: "chk_1", score: 0.9, snippet: "Returns…" }],
    confidence: 0.8,
    noMatch: false,
    tokens_used: 120,
    input_tokens: 100,
    output_tokens: 20,
    cost_usd: 0.001,
    model: "extractive",
    finish_reason: "stop",
    error: null,
    tool_calls: [],
    failure_handoff: null,
    ...fields,
  };
}

describe("answering-turn decisions", () => {
  it("gives the model the visitor's words as the user's and every reply as the assistant's, without system or empty messages", () => {
    const history = promptHistory([
      message("visitor", "Where is my parcel?"),
      message("assistant", "It left the warehouse today."),
      message("system", "conversation reopened"),
      message("human_agent", "I have checked: it arrives tomorrow."),
      message("assistant", ""),
    ]);
    expect(history).toEqual([
      { role: "user", content: "Where is my parcel?" },
      { role: "assistant", content: "It left the warehouse today." },
      { role: "assistant", content: "I have checked: it arrives tomorrow." },
    ]);
  });

  it("hands a question straight to a person when the assistant is gone or the visitor asks for one", () => {
    expect(handoffReason(false, "How do returns work?")).toBe("no_match");
    expect(handoffReason(true, "I want to talk to a real person")).toBe("user_request");
    expect(handoffReason(true, "How do returns work?")).toBeNull();
  });

  it("escalates a complete answer that found nothing, is unsure, or meets a frustrated visitor, in that order", () => {
    const calm = "How do returns work?";
    const angry = "This is USELESS and TERRIBLE!!";
    expect(escalationAfterAnswer(outcome({ noMatch: true, confidence: 0 }), 0.5, angry, "active")).toBe("no_match");
    expect(escalationAfterAnswer(outcome({ confidence: 0.3 }), 0.5, angry, "active")).toBe("low_confidence");
    expect(escalationAfterAnswer(outcome({ confidence: 0.9 }), 0.5, angry, "active")).toBe("negative_sentiment");
    expect(escalationAfterAnswer(outcome({ confidence: 0.9 }), 0.5, calm, "active")).toBeNull();
  });

  it("lets a failed action call's own setting decide the hand-off, whatever the confidence", () => {
    expect(escalationAfterAnswer(outcome({ noMatch: true, confidence: 0, failure_handoff: true }), 0, "hi", "active")).toBe("no_match");
    expect(escalationAfterAnswer(outcome({ noMatch: true, confidence: 0, failure_handoff: false }), 0.5, "hi", "active")).toBeNull();
    expect(escalationAfterAnswer(outcome({ failure_handoff: true }), 0.5, "hi", "escalated")).toBeNull();
  });

  it("never escalates after a stopped or failed answer, or when a person already has the conversation", () => {
    expect(escalationAfterAnswer(outcome({ status: "stopped", confidence: 0 }), 0.5, "hi", "active")).toBeNull();
    expect(escalationAfterAnswer(outcome({ status: "failed", noMatch: true }), 0.5, "hi", "active")).toBeNull();
    expect(escalationAfterAnswer(outcome({ noMatch: true }), 0.5, "hi", "escalated")).toBeNull();
  });

  it("stores an answer with its outcome and the time it took", () => {
    expect(finishedAnswerFields(outcome(), 850)).toEqual({
      content: "Returns are free within 30 days [1].",
      status: "complete",
      sources: outcome().sources,
      confidence: 0.8,
      tokens_used: 120,
      latency_ms: 850,
      cost_usd: 0.001,
      model: "extractive",
      tool_calls: [],
    });
    expect(interruptedAnswerFields(["Returns are ", "free"])).toEqual({ content: "Returns are free", status: "failed" });
  });

  it("counts an answer, keeping the start of the question only when nothing answered it", () => {
    const question = "x".repeat(UNANSWERED_QUESTION_CHARS + 50);
    expect(answeredEvent(outcome(), question, 850).properties).not.toHaveProperty("question");
    expect(answeredEvent(outcome({ noMatch: true }), question, 850)).toMatchObject({
      type: "message.answered",
      latency_ms: 850,
      tokens: 120,
      properties: { no_match: true, sources: 1, question: "x".repeat(UNANSWERED_QUESTION_CHARS) },
    });
  });

  it("answers a budget refusal with rate_limited for the question's client id, leaves it unanswered and counts it", () => {
    const refusal = { code: "rate_limited", message: "no more answers for now", retryAfterSeconds: 3600 };
    expect(budgetRefusalOutcome({ client_id: "c-7" }, refusal)).toEqual({
      answerState: "skipped",
      event: { type: "error", code: "rate_limited", message: "no more answers for now", retry_after: 3600, client_id: "c-7" },
      analytics: { type: "message.refused", properties: { reason: "model_budget" } },
    });
  });
});
