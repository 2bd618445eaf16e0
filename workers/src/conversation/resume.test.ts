import { describe, expect, it } from "vitest";
import type { MessageView } from "./protocol";
import { replayEventsOf } from "./resume";

function message(fields: Partial<MessageView>): MessageView {
  return {
    id: "msg_1",
    conversation_id: "conv_1",
    seq: 1,
    sender_type: "visitor",
    sender_id: null,
    sender_name: null,
    content: "hello",
    status: "complete",
    sources: [],
    confidence: null,
    tokens_used: 0,
    latency_ms: null,
    cost_usd: 0,
    model: null,
    client_id: null,
    language: null,
    created_at: "2026-01-01T00:00:00.000Z",
    ...fields,
  };
}

describe("resuming a socket", () => {
  it("replays an answer still streaming as the deltas buffered so far, in order", () => {
    const streaming = message({ id: "msg_2", sender_type: "assistant", status: "streaming", content: "" });
    expect(replayEventsOf(streaming, [{ seq: 0, delta: "Returns " }, { seq: 1, delta: "are free" }])).toEqual([
      { type: "delta", message_id: "msg_2", delta: "Returns ", seq: 0 },
      { type: "delta", message_id: "msg_2", delta: "are free", seq: 1 },
    ]);
  });

  it("replays finished messages as the event each kind of sender is announced with", () => {
    const answer = message({ sender_type: "assistant", status: "failed" });
    const reply = message({ sender_type: "human_agent" });
    const question = message({ sender_type: "visitor" });
    expect(replayEventsOf(answer, [])).toEqual([{ type: "response", message: answer }]);
    expect(replayEventsOf(reply, [])).toEqual([{ type: "agent_message", message: reply }]);
    expect(replayEventsOf(question, [])).toEqual([{ type: "message", message: question }]);
  });
});
