import { describe, expect, it } from "vitest";
import { questionToLearn, type VisitorQuestion } from "./learnable-question";

const at = (minute: number) => `2026-03-10T12:${String(minute).padStart(2, "0")}:00.000Z`;
const msg = (id: string, content: string, minute: number): VisitorQuestion => ({ id, content, created_at: at(minute) });

describe("which question a resolution with an article answers", () => {
  const messages = [msg("m1", "Hello", 0), msg("m2", "Can I swap a cracked helmet?", 1), msg("m3", "Anyone there?", 5)];

  it("takes the message the escalation was opened for", () => {
    expect(questionToLearn(messages, { question_id: "m2", created_at: at(2) })?.id).toBe("m2");
  });

  it("takes the last message sent before an escalation opened by hand, not what came after it", () => {
    expect(questionToLearn(messages, { question_id: null, created_at: at(3) })?.id).toBe("m2");
    // The question it names is gone (erased history): its time still anchors the choice.
    expect(questionToLearn(messages, { question_id: "m0", created_at: at(3) })?.id).toBe("m2");
  });

  it("takes the last message when nothing was escalated", () => {
    expect(questionToLearn(messages, null)?.id).toBe("m3");
  });

  it("walks back past a request for a person to the question before it", () => {
    const asked = [msg("q", "Does the frame rattle when it is cold?", 0), msg("h", "Can I talk to a human please", 1)];
    expect(questionToLearn(asked, { question_id: "h", created_at: at(1) })?.id).toBe("q");
    expect(questionToLearn(asked, null)?.id).toBe("q");
  });

  it("learns nothing from a conversation without a question", () => {
    expect(questionToLearn([], null)).toBeNull();
    expect(questionToLearn([msg("h", "human please", 0)], null)).toBeNull();
    expect(questionToLearn(messages, { question_id: null, created_at: "2026-03-10T11:00:00.000Z" })).toBeNull();
  });
});
