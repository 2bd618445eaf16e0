import { describe, expect, it } from "vitest";
import { DeltaCoalescer } from "./delta-coalescer";

/** A coalescer on a clock the test moves, recording the frames it sends. */
function coalescer(windowMs = 30) {
  let clock = 1_000;
  const frames: { delta: string; seq: number }[] = [];
  let onFrame = () => {};
  const c = new DeltaCoalescer(
    (delta, seq) => {
      frames.push({ delta, seq });
      onFrame();
    },
    windowMs,
    () => clock,
  );
  return {
    c,
    frames,
    advance: (ms: number) => (clock += ms),
    nextFrame: () => new Promise<void>((resolve) => (onFrame = resolve)),
  };
}

describe("coalescing an answer's deltas", () => {
  it("sends the first delta at once and joins the ones that follow within the window", () => {
    const { c, frames, advance } = coalescer();
    c.push("Returns ");
    expect(frames).toEqual([{ delta: "Returns ", seq: 0 }]);
    c.push("are ");
    advance(5);
    c.push("free ");
    expect(frames).toHaveLength(1);
    c.flush();
    expect(frames).toEqual([
      { delta: "Returns ", seq: 0 },
      { delta: "are free ", seq: 1 },
    ]);
  });

  it("sends a delta at once when the last frame is a window old", () => {
    const { c, frames, advance } = coalescer();
    c.push("a ");
    advance(30);
    c.push("b ");
    advance(45);
    c.push("c");
    expect(frames.map((f) => f.delta)).toEqual(["a ", "b ", "c"]);
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2]);
  });

  it("sends held text on its own when no further delta comes", async () => {
    const { c, frames, nextFrame } = coalescer(1);
    c.push("first ");
    const sent = nextFrame();
    c.push("held");
    expect(frames).toHaveLength(1);
    await sent;
    expect(frames).toEqual([
      { delta: "first ", seq: 0 },
      { delta: "held", seq: 1 },
    ]);
    c.flush();
    expect(frames).toHaveLength(2);
  });

  it("keeps every character in order whatever the timing", () => {
    const { c, frames, advance } = coalescer();
    const words = Array.from({ length: 200 }, (_, i) => `w${i} `);
    for (const [i, w] of words.entries()) {
      c.push(w);
      advance(i % 7);
    }
    c.push("");
    c.flush();
    expect(frames.map((f) => f.delta).join("")).toBe(words.join(""));
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    expect(frames.length).toBeLessThan(words.length / 5);
    expect(c.frames).toBe(frames.length);
  });
});
