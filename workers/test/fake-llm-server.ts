import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { header, listenLocally, nextStep, readBody, type RunningFake } from "./fake-http";
import { FAKE_INPUT_TOKENS, openAIChunks, streamScriptedTurn, type ScriptedTurn, type Send } from "./fake-llm-script";

export type { ScriptedTurn } from "./fake-llm-script";
export { FAKE_INPUT_TOKENS } from "./fake-llm-script";

/**
 * A local stand-in for the OpenAI and Anthropic APIs that speaks their real streaming wire
 * formats, so the official SDKs run unmodified against it from inside workerd.
 *
 * Each request names a scenario and a script in its path:
 *   /<scenario>/<steps>/v1/chat/completions   (OpenAI; SDK base URL `…/<scenario>/<steps>/v1`)
 *   /<scenario>/<steps>/v1/messages           (Anthropic; SDK base URL `…/<scenario>/<steps>`)
 *   /<scenario>/<steps>/v1/embeddings         (OpenAI embeddings, not streamed; same base URL)
 * `<steps>` is a comma-separated list; the n-th request of a scenario plays step n (the last
 * step repeats). `GET /<scenario>/log` returns what the scenario's requests sent.
 * `POST /<scenario>/script` with `{"turns":[…]}` queues answers (text and tool calls, see
 * `fake-llm-script.ts`) that the scenario's `scripted` steps play in order.
 *
 * Steps:
 *   ok               a normal streamed answer with usage
 *   429 | 429:<s>    rate limited, optionally with `retry-after: <s>`
 *   500 | 503 | 529 | 400 | 401   that status with the provider's error body
 *   error-before-text  200, then an error event before any text (Anthropic overloads like this)
 *   midstream-error  some text, then an error event
 *   disconnect       some text, then the socket is destroyed
 *   truncated        some text, then a clean end without the closing events
 *   slow:<ms>        headers only after <ms>, then `ok` (for first-byte timeouts)
 *   drip             `ok`, one word every DRIP_INTERVAL_MS for a long answer (for aborts)
 *   scripted         the scenario's next queued turn (a 500 when none is left)
 *
 * A request whose prompt holds `[[fake-script:<name>]]` (a test puts it in an assistant's system
 * prompt, for answers whose base URL the deployment fixes) plays scenario `<name>`'s `scripted`
 * turns whatever its path says, and is logged under `<name>`.
 */

/** The answer the fake streams, one word per delta. */
export const FAKE_ANSWER = "Refunds are processed within 5 business days [1].";
const DRIP_INTERVAL_MS = 40; // slow enough to abort between words, fast enough for a test
const DRIP_WORDS = 200; // ~8 s of dripping: far longer than any abort test waits
const PARTIAL_WORDS = 3; // words sent before a scripted mid-stream failure

/** One request as the fake saw it. */
export interface RecordedRequest {
  provider: "openai" | "anthropic";
  step: string;
  body: unknown;
  headers: Record<string, string | undefined>;
  /** True when the client went away before the response was complete. */
  closed_early: boolean;
}

/** A running fake server. */
export type FakeLlmServer = RunningFake;

type Provider = RecordedRequest["provider"];

const ERROR_BODIES: Record<Provider, Record<number, { type: string; message: string }>> = {
  openai: {
    400: { type: "invalid_request_error", message: "Invalid value for 'model'." },
    401: { type: "invalid_request_error", message: "Incorrect API key provided." },
    429: { type: "requests", message: "Rate limit reached for requests." },
    500: { type: "server_error", message: "The server had an error while processing your request." },
    503: { type: "server_error", message: "The engine is currently overloaded, please try again later." },
    529: { type: "server_error", message: "Overloaded." },
  },
  anthropic: {
    400: { type: "invalid_request_error", message: "max_tokens: field required" },
    401: { type: "authentication_error", message: "invalid x-api-key" },
    429: { type: "rate_limit_error", message: "Number of request tokens has exceeded your per-minute rate limit" },
    500: { type: "api_error", message: "Internal server error" },
    503: { type: "api_error", message: "Service unavailable" },
    529: { type: "overloaded_error", message: "Overloaded" },
  },
};

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeLlmServer(): Promise<FakeLlmServer> {
  const counters = new Map<string, number>();
  const logs = new Map<string, RecordedRequest[]>();
  const scripts = new Map<string, ScriptedTurn[]>();

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const parts = url.pathname.split("/").filter(Boolean);
    const [scenario, steps] = parts;
    if (req.method === "GET" && scenario && steps === "log" && parts.length === 2) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(logs.get(scenario) ?? []));
      return;
    }
    if (req.method === "POST" && scenario && steps === "script" && parts.length === 2) {
      const { turns } = ((await readJson(req)) ?? {}) as { turns?: ScriptedTurn[] };
      scripts.set(scenario, [...(scripts.get(scenario) ?? []), ...(turns ?? [])]);
      res.writeHead(204);
      res.end();
      return;
    }
    const rest = parts.slice(2).join("/");
    const provider: Provider | undefined =
      rest === "v1/chat/completions" || rest === "v1/embeddings" ? "openai" : rest === "v1/messages" ? "anthropic" : undefined;
    if (req.method !== "POST" || !scenario || !steps || !provider) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { type: "not_found_error", message: `no route ${url.pathname}` } }));
      return;
    }

    const body = await readJson(req);
    const marked = /\[\[fake-script:([\w-]+)\]\]/.exec(JSON.stringify(body ?? null))?.[1];
    const logAs = marked ?? scenario;
    const step = marked ? "scripted" : nextStep(counters, scenario, steps);
    const record: RecordedRequest = {
      provider,
      step,
      body,
      headers: {
        authorization: header(req, "authorization"),
        "x-api-key": header(req, "x-api-key"),
        "anthropic-version": header(req, "anthropic-version"),
        "x-stainless-retry-count": header(req, "x-stainless-retry-count"),
        traceparent: header(req, "traceparent"),
      },
      closed_early: false,
    };
    logs.set(logAs, [...(logs.get(logAs) ?? []), record]);
    res.on("close", () => {
      if (!res.writableFinished) record.closed_early = true;
    });

    const [name, arg] = step.split(":");
    const status = Number(name);
    if (Number.isInteger(status) && status >= 400) {
      sendError(res, provider, status, name === "429" ? arg : undefined);
      return;
    }
    if (name === "slow") {
      await delay(Number(arg ?? 1000));
      if (res.destroyed) return;
    }
    if (rest === "v1/embeddings") {
      sendEmbeddings(res, body);
      return;
    }
    if (name === "scripted") {
      const turn = scripts.get(logAs)?.shift();
      if (turn) streamScriptedTurn(res, provider, body, turn);
      else sendError(res, provider, 500, undefined);
      return;
    }
    await streamAnswer(req, res, provider, body, name === "slow" ? "ok" : (name ?? "ok"));
  }

  return listenLocally(server);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString("utf8");
  return text ? (JSON.parse(text) as unknown) : null;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An HTTP error in the provider's own error shape. */
function sendError(res: ServerResponse, provider: Provider, status: number, retryAfter: string | undefined): void {
  const error = ERROR_BODIES[provider][status] ?? { type: "api_error", message: `status ${status}` };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (retryAfter !== undefined) headers["retry-after"] = retryAfter;
  if (provider === "anthropic") {
    headers["request-id"] = "req_fake";
    res.writeHead(status, headers);
    res.end(JSON.stringify({ type: "error", error, request_id: "req_fake" }));
  } else {
    headers["x-request-id"] = "req_fake";
    res.writeHead(status, headers);
    res.end(JSON.stringify({ error: { message: error.message, type: error.type, param: null, code: null } }));
  }
}

/** The answer as deltas, word by word (each keeps its trailing space). */
function answerWords(drip: boolean): string[] {
  const words = FAKE_ANSWER.match(/\S+\s*/g) ?? [];
  if (!drip) return words;
  return Array.from({ length: DRIP_WORDS }, (_, i) => words[i % words.length] ?? "");
}

async function streamAnswer(
  req: IncomingMessage,
  res: ServerResponse,
  provider: Provider,
  body: unknown,
  mode: string,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const send = (event: string | null, data: unknown) => {
    if (res.destroyed) return;
    const payload = typeof data === "string" ? data : JSON.stringify(data);
    res.write(`${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`);
  };
  const words = answerWords(mode === "drip");
  const failing = mode === "midstream-error" || mode === "disconnect" || mode === "truncated";
  const sent = failing ? words.slice(0, PARTIAL_WORDS) : words;
  const wire = provider === "openai" ? openAIWire(body) : anthropicWire(body);

  wire.start(send);
  if (mode === "error-before-text") {
    wire.error(send);
    res.end();
    return;
  }
  for (const word of sent) {
    if (res.destroyed) return;
    wire.delta(send, word);
    if (mode === "drip") await delay(DRIP_INTERVAL_MS);
  }
  if (mode === "midstream-error") {
    wire.error(send);
    res.end();
    return;
  }
  if (mode === "disconnect") {
    // Let the words reach the client before the connection drops.
    await delay(50);
    req.socket.destroy();
    return;
  }
  if (mode === "truncated") {
    res.end();
    return;
  }
  wire.finish(send, sent.length);
  res.end();
}


/** The events of one provider's stream. */
interface Wire {
  start(send: Send): void;
  delta(send: Send, text: string): void;
  finish(send: Send, outputTokens: number): void;
  error(send: Send): void;
}

/** OpenAI chat.completion.chunk events, with the usage chunk when `include_usage` is asked. */
function openAIWire(body: unknown): Wire {
  const events = openAIChunks(body);
  return {
    start: (send) => send(null, events.chunk({ role: "assistant", content: "", refusal: null }, null)),
    delta: (send, text) => send(null, events.chunk({ content: text }, null)),
    finish: (send, outputTokens) => {
      send(null, events.chunk({}, "stop"));
      events.end(send, outputTokens);
    },
    error: (send) => send(null, { error: { message: "The server had an error while processing your request.", type: "server_error", param: null, code: null } }),
  };
}

/** Anthropic Messages stream events, with a ping as the real API sends. */
function anthropicWire(body: unknown): Wire {
  const request = (body ?? {}) as { model?: string };
  const model = request.model ?? "claude-3-5-haiku-latest";
  return {
    start: (send) => {
      send("message_start", {
        type: "message_start",
        message: {
          id: "msg_fake",
          type: "message",
          role: "assistant",
          content: [],
          model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        },
      });
      send("content_block_start", { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
      send("ping", { type: "ping" });
    },
    delta: (send, text) =>
      send("content_block_delta", { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } }),
    finish: (send, outputTokens) => {
      send("content_block_stop", { type: "content_block_stop", index: 0 });
      send("message_delta", {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: outputTokens },
      });
      send("message_stop", { type: "message_stop" });
    },
    error: (send) => send("error", { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }),
  };
}

/** Dimensions of `text-embedding-3-small`, what the fake answers unless `dimensions` is asked. */
const FAKE_EMBEDDING_DIMENSIONS = 1536;

/**
 * A `/v1/embeddings` answer in OpenAI's shape: one vector per input, in the requested encoding
 * (`float` arrays, or `base64` of little-endian float32). Each vector is the input's lower-cased
 * words hashed into buckets and normalised, so texts sharing words are near each other. Empty
 * strings are refused with a 400, as the real API does.
 */
function sendEmbeddings(res: ServerResponse, body: unknown): void {
  const request = (body ?? {}) as { model?: string; input?: unknown; encoding_format?: string; dimensions?: number };
  const inputs = typeof request.input === "string" ? [request.input] : request.input;
  if (!Array.isArray(inputs) || inputs.length === 0 || inputs.length > 2048 || inputs.some((t) => typeof t !== "string" || t === "")) {
    sendError(res, "openai", 400, undefined);
    return;
  }
  const dims = request.dimensions ?? FAKE_EMBEDDING_DIMENSIONS;
  let tokens = 0;
  const data = (inputs as string[]).map((text, index) => {
    const vector = new Float32Array(dims);
    const words = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
    tokens += words.length;
    for (const word of words) {
      let h = 0x811c9dc5;
      for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193);
      const bucket = (h >>> 0) % dims;
      vector[bucket] = (vector[bucket] ?? 0) + 1;
    }
    if (words.length === 0) vector[0] = 1;
    const norm = Math.hypot(...vector);
    for (let i = 0; i < dims; i++) vector[i] = (vector[i] ?? 0) / norm;
    const embedding = request.encoding_format === "base64" ? Buffer.from(vector.buffer).toString("base64") : Array.from(vector);
    return { object: "embedding", index, embedding };
  });
  res.writeHead(200, { "content-type": "application/json", "x-request-id": "req_fake" });
  res.end(
    JSON.stringify({
      object: "list",
      data,
      model: request.model ?? "text-embedding-3-small",
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    }),
  );
}
