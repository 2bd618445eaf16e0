/**
 * Server-sent events read from a byte stream, for providers reached without an SDK (the Workers
 * AI binding hands back the raw `text/event-stream` body). The SDK-based providers parse their
 * own streams.
 */

/** One event: its `event:` name (null when unnamed) and its `data:` lines joined by newlines. */
export interface SseEvent {
  event: string | null;
  data: string;
}

/**
 * The events of `body`, in order; `signal` cancels the body, ending the events early. Follows the event-stream rules that matter here: `\n` or `\r\n`
 * line ends, one optional space after the colon, multi-line data, comments ignored.
 */
export async function* readSse(body: ReadableStream<Uint8Array>, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  // Cancelling settles a pending read as done, so an abort ends the loop even mid-wait.
  const cancel = () => void reader.cancel(signal?.reason).catch(() => undefined);
  if (signal?.aborted) cancel();
  signal?.addEventListener("abort", cancel);
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | null = null;
  let data: string[] = [];
  let finished = false;
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === "") {
      if (data.length === 0) {
        event = null;
        return undefined;
      }
      const out = { event, data: data.join("\n") };
      event = null;
      data = [];
      return out;
    }
    if (line.startsWith(":")) return undefined;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    return undefined;
  };
  try {
    while (true) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r?\n/);
      buffer = done ? "" : (lines.pop() ?? "");
      for (const line of lines) {
        const out = takeLine(line);
        if (out) yield out;
      }
      if (done) {
        const out = takeLine("");
        if (out) yield out;
        finished = true;
        return;
      }
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
