import { describe, expect, it } from "vitest";
import { createEventStream, readEvents } from "./event-stream";
import type { ServerEvent } from "./protocol";

async function collect(stream: ReadableStream<Uint8Array>): Promise<ServerEvent[]> {
  const events: ServerEvent[] = [];
  for await (const e of readEvents(stream)) events.push(e);
  return events;
}

/** A byte stream that hands out `bytes` in pieces of `size`, splitting lines and characters anywhere. */
function inPieces(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const EVENTS: ServerEvent[] = [
  { type: "ack", client_id: "c1", message_id: "msg_1" },
  { type: "delta", message_id: "msg_2", delta: "Grüße, ça va? 👋\nnext line", seq: 0 },
  { type: "status", status: "escalated", human_takeover: false },
];

describe("conversation event stream", () => {
  it("reads back every event written, in order, once the writer closes", async () => {
    const events = createEventStream();
    for (const e of EVENTS) events.write(e);
    events.close();
    expect(await collect(events.stream)).toEqual(EVENTS);
  });

  it("reassembles lines split across chunks, multi-byte characters included", async () => {
    const events = createEventStream();
    for (const e of EVENTS) events.write(e);
    events.close();
    const bytes = new Uint8Array(await new Response(events.stream).arrayBuffer());
    for (const size of [1, 2, 3, 7, 64]) expect(await collect(inPieces(bytes, size))).toEqual(EVENTS);
  });

  it("keeps a last line that lost its newline and skips empty lines", async () => {
    const text = `\n${JSON.stringify(EVENTS[0])}\n\n${JSON.stringify(EVENTS[2])}`;
    expect(await collect(inPieces(new TextEncoder().encode(text), 5))).toEqual([EVENTS[0], EVENTS[2]]);
  });
});
