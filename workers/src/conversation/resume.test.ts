import { describe, expect, it } from "vitest";
import { messageView } from "../../test/message-fixture";
import { replayEventsOf } from "./resume";

describe("resuming a socket", () => {
  it("replays an answer still streaming as the deltas buffered so far, in order", () => {
    const streaming = messageView({ id: "msg_2", sender_type: "assistant", status: "streaming", content: "" });
    expect(replayEventsOf(streaming, [{ seq: 0, delta: "Returns " }, { seq: 1, delta: "are free" }])).toEqual([
      { type: "delta", message_id: "msg_2", delta: "Returns ", seq: 0 },
      { type: "delta", message_id: "msg_2", delta: "are free", seq: 1 },
    ]);
  });

  it("replays finished messages as the event each kind of sender is announced with", () => {
    const answer = messageView({ sender_type: "assistant", status: "failed" });
    const reply = messageView({ sender_type: "human_agent" });
    const question = messageView({ sender_type: "visitor" });
    expect(replayEventsOf(answer, [])).toEqual([{ type: "response", message: answer }]);
    expect(replayEventsOf(reply, [])).toEqual([{ type: "agent_message", message: reply }]);
    expect(replayEventsOf(question, [])).toEqual([{ type: "message", message: question }]);
  });
});
