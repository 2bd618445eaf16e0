import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES } from "./protocol";
import { attachmentFromUpgrade, parseClientFrame, typingEventOf } from "./socket-frames";

describe("conversation socket frames", () => {
  it("accepts the protocol's frames, as text or bytes", () => {
    expect(parseClientFrame('{"type":"message","content":"hello","client_id":"c1"}')).toEqual({
      frame: { type: "message", content: "hello", client_id: "c1" },
    });
    expect(parseClientFrame(new TextEncoder().encode('{"type":"resume","after":null}').buffer as ArrayBuffer)).toEqual({
      frame: { type: "resume", after: null },
    });
  });

  it("refuses frames that are too large, not JSON, or not in the protocol", () => {
    expect(parseClientFrame("x".repeat(MAX_FRAME_BYTES + 1))).toMatchObject({ error: { type: "error", code: "frame_too_large" } });
    expect(parseClientFrame("{not json")).toEqual({ error: { type: "error", code: "invalid_frame", message: "frames must be JSON" } });
    expect(parseClientFrame('{"type":"delete_everything"}')).toMatchObject({ error: { code: "invalid_frame" } });
    expect(parseClientFrame('{"type":"typing","extra":true}')).toMatchObject({ error: { code: "invalid_frame" } });
  });

  it("counts a frame's size in bytes, not characters", () => {
    const content = "é".repeat(Math.ceil(MAX_FRAME_BYTES / 2));
    expect(content.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(parseClientFrame(JSON.stringify({ type: "message", content }))).toMatchObject({ error: { code: "frame_too_large" } });
  });

  it("takes who is on the socket from the Worker's headers, a visitor unless it says otherwise", () => {
    const agent = new Headers({
      "x-conversation-role": "agent",
      "x-conversation-participant": "usr_1",
      "x-conversation-participant-name": encodeURIComponent("Zoë O'Neil"),
      "x-conversation-key-fingerprint": "fp1",
    });
    expect(attachmentFromUpgrade(agent, "2026-01-01T00:00:00.000Z")).toEqual({
      role: "agent",
      participantId: "usr_1",
      participantName: "Zoë O'Neil",
      keyFingerprint: "fp1",
      rateSubject: null,
      connectedAt: "2026-01-01T00:00:00.000Z",
    });
    const visitor = attachmentFromUpgrade(new Headers({ "x-conversation-role": "admin", "x-conversation-rate-subject": "visitor:ws_1:id:v1" }), "t");
    expect(visitor).toMatchObject({ role: "visitor", participantId: "unknown", participantName: null, rateSubject: "visitor:ws_1:id:v1" });
  });

  it("announces an agent's typing as a human agent's and anyone else's as the visitor's", () => {
    expect(typingEventOf("agent")).toEqual({ type: "typing", sender_type: "human_agent" });
    expect(typingEventOf("visitor")).toEqual({ type: "typing", sender_type: "visitor" });
  });
});
