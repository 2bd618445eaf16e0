import type { ServerEvent } from "../../../schema/protocol";

/** Reads a conversation's NDJSON event stream (what `submit` returns), one event at a time. */
export async function* readConversationEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<ServerEvent> {
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
}
