import type { ServerResponse } from "node:http";

/**
 * Scripted turns of the fake LLM server (`fake-llm-server.ts`): text and tool calls a test queues
 * for its scenario, streamed in each provider's real wire format. OpenAI sends a call's id and
 * name first and its arguments in pieces under the call's `index`; Anthropic opens a `tool_use`
 * content block per call and sends its input as `input_json_delta` pieces. Runs in Node.
 */

/** Input tokens the fake reports for every request, scripted or not. */
export const FAKE_INPUT_TOKENS = 57;
const ARGUMENT_PIECES = 3; // the arguments of a call arrive in this many pieces, cut mid-token

/** One tool call of a scripted turn. */
export interface ScriptedToolCall {
  id: string;
  name: string;
  /** The raw JSON text the model writes; may be invalid on purpose. */
  arguments: string;
}

/** One answer a scenario plays on its next `scripted` step. */
export interface ScriptedTurn {
  /** Text before the calls, streamed word by word. */
  text?: string;
  /** Tool calls, in order; several are parallel calls of one answer. */
  tool_calls?: ScriptedToolCall[];
  /** Output tokens the provider reports; one per streamed piece when absent. */
  output_tokens?: number;
}

/** Writes one server-sent event (`event` null: a data-only event, as OpenAI sends). */
export type Send = (event: string | null, data: unknown) => void;

/** Streams `turn` as `provider` would, then ends the response. */
export function streamScriptedTurn(res: ServerResponse, provider: "openai" | "anthropic", body: unknown, turn: ScriptedTurn): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send: Send = (event, data) => {
    const payload = typeof data === "string" ? data : JSON.stringify(data);
    res.write(`${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`);
  };
  const words = turn.text?.match(/\S+\s*/g) ?? [];
  const calls = (turn.tool_calls ?? []).map((call) => ({ ...call, pieces: inPieces(call.arguments, ARGUMENT_PIECES) }));
  const outputTokens = turn.output_tokens ?? words.length + calls.reduce((n, c) => n + c.pieces.length, 0);
  if (provider === "openai") openAITurn(send, body, words, calls, outputTokens);
  else anthropicTurn(send, body, words, calls, outputTokens);
  res.end();
}

/** `text` cut into `count` pieces of about equal length (fewer when it is shorter). */
function inPieces(text: string, count: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

type Call = ScriptedToolCall & { pieces: string[] };

/**
 * OpenAI chat.completion.chunk events for `body`'s request: `chunk` builds one delta's event,
 * `end` sends the usage chunk (when `include_usage` is asked) and `[DONE]`.
 */
export function openAIChunks(body: unknown) {
  const request = (body ?? {}) as { model?: string; stream_options?: { include_usage?: boolean } };
  const includeUsage = request.stream_options?.include_usage === true;
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model: request.model ?? "gpt-4o-mini", system_fingerprint: "fp_fake" };
  return {
    chunk: (delta: Record<string, unknown>, finishReason: string | null) => ({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
    }),
    end: (send: Send, outputTokens: number) => {
      if (includeUsage) {
        send(null, {
          ...base,
          choices: [],
          usage: { prompt_tokens: FAKE_INPUT_TOKENS, completion_tokens: outputTokens, total_tokens: FAKE_INPUT_TOKENS + outputTokens },
        });
      }
      send(null, "[DONE]");
    },
  };
}

function openAITurn(send: Send, body: unknown, words: string[], calls: Call[], outputTokens: number): void {
  const events = openAIChunks(body);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null) => send(null, events.chunk(delta, finishReason));
  chunk({ role: "assistant", content: words.length > 0 ? "" : null, refusal: null }, null);
  for (const word of words) chunk({ content: word }, null);
  for (const [index, call] of calls.entries()) {
    chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, null);
    for (const piece of call.pieces) chunk({ tool_calls: [{ index, function: { arguments: piece } }] }, null);
  }
  chunk({}, calls.length > 0 ? "tool_calls" : "stop");
  events.end(send, outputTokens);
}

function anthropicTurn(send: Send, body: unknown, words: string[], calls: Call[], outputTokens: number): void {
  const request = (body ?? {}) as { model?: string };
  send("message_start", {
    type: "message_start",
    message: {
      id: "msg_fake",
      type: "message",
      role: "assistant",
      content: [],
      model: request.model ?? "claude-3-5-haiku-latest",
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    },
  });
  let index = 0;
  if (words.length > 0) {
    send("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
    send("ping", { type: "ping" });
    for (const text of words) send("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } });
    send("content_block_stop", { type: "content_block_stop", index });
    index += 1;
  }
  for (const call of calls) {
    send("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } });
    // The API opens every input with an empty piece.
    for (const partial_json of ["", ...call.pieces]) {
      send("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } });
    }
    send("content_block_stop", { type: "content_block_stop", index });
    index += 1;
  }
  send("message_delta", {
    type: "message_delta",
    delta: { stop_reason: calls.length > 0 ? "tool_use" : "end_turn", stop_sequence: null },
    usage: { output_tokens: outputTokens },
  });
  send("message_stop", { type: "message_stop" });
}
