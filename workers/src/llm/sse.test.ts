import { describe, expect, it } from "vitest";
import { readSse, type SseEvent } from "./sse";

function bytes(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function all(stream: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const event of readSse(stream)) out.push(event);
  return out;
}

describe("server-sent events", () => {
  it("reads named and unnamed events split anywhere across chunks", async () => {
    expect(await all(bytes("event: ping\nda", "ta: {}\n", "\ndata: one\r", "\n\r\ndata: tw", "o\n\n"))).toEqual([
      { event: "ping", data: "{}" },
      { event: null, data: "one" },
      { event: null, data: "two" },
    ]);
  });

  it("joins multi-line data, ignores comments, and flushes an unterminated last event", async () => {
    expect(await all(bytes(": comment\n\ndata: a\ndata:b\n\ndata: last"))).toEqual([
      { event: null, data: "a\nb" },
      { event: null, data: "last" },
    ]);
  });

  it("keeps multi-byte characters split between chunks", async () => {
    const encoded = new TextEncoder().encode('data: {"response":"días"}\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoded.slice(0, 21));
        controller.enqueue(encoded.slice(21));
        controller.close();
      },
    });
    expect(await all(stream)).toEqual([{ event: null, data: '{"response":"días"}' }]);
  });
});
