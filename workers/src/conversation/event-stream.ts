/**
 * The conversation object's event stream: what `submit` returns over RPC to a REST caller or a
 * channel job, carrying the same events as its sockets. RPC streams carry bytes, so each event is
 * one line of JSON (NDJSON). The object writes with `createEventStream`; every reader uses
 * `readEvents`.
 */
import type { ServerEvent } from "./protocol";

const encoder = new TextEncoder();

/** Writes one event as its own line; `json` is the event already serialised, when the caller has it. */
export function writeEvent(controller: ReadableStreamDefaultController<Uint8Array>, event: ServerEvent, json = JSON.stringify(event)): void {
  controller.enqueue(encoder.encode(`${json}\n`));
}

/** A stream of events being written: hand `stream` to the reader, `write` events, then `close`. */
export interface EventStream {
  readonly stream: ReadableStream<Uint8Array>;
  /** Writes an event; pass its JSON when it is already serialised. */
  write(event: ServerEvent, json?: string): void;
  close(): void;
}

/** A new, empty event stream. */
export function createEventStream(): EventStream {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  // A reader that stopped early (a channel job that has what it needs) is no error for the writer.
  let open = true;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      open = false;
    },
  });
  return {
    stream,
    write: (event, json) => {
      if (open) writeEvent(controller, event, json);
    },
    close: () => {
      if (open) controller.close();
      open = false;
    },
  };
}

/**
 * The events of a stream, in order, as they arrive. A line may come split across any number of
 * chunks (a multi-byte character included); a last line without its newline still counts.
 */
export async function* readEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += value;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line) yield JSON.parse(line) as ServerEvent;
    }
  }
  if (buffer) yield JSON.parse(buffer) as ServerEvent;
}
