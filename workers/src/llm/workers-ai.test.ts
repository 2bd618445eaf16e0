import { describe, expect, it } from "vitest";
import { collect, ORDER_TOOLS, sampleRequest, toolRequest } from "../../test/llm-helpers";
import { WorkersAIChatModel, type AiRunner } from "./workers-ai";

const MODEL = "@cf/meta/llama-3.1-8b-instruct";

/** SSE text as the AI binding streams it, cut into byte chunks at awkward places. */
function sseBody(text: string, chunkSize = 7, opts: { error?: Error; hang?: boolean } = {}): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset < bytes.length) {
        controller.enqueue(bytes.slice(offset, offset + chunkSize));
        offset += chunkSize;
        return;
      }
      if (opts.error) controller.error(opts.error);
      else if (opts.hang) return new Promise<void>(() => {}); // never sends another byte
      else controller.close();
    },
  });
}

/** A fake `AI` binding whose `run()` answers with `answer`, recording its calls. */
function fakeAi(answer: (signal?: AbortSignal) => Promise<unknown>) {
  const calls: { model: string; inputs: Record<string, unknown> }[] = [];
  const ai: AiRunner = {
    run(model, inputs, options) {
      calls.push({ model, inputs });
      return answer(options?.signal);
    },
  };
  return { ai, calls };
}

const NATIVE_STREAM =
  'data: {"response":"Refunds ","p":"abcdef"}\n\n' +
  'data: {"response":"take 5 ","p":"abc"}\n\n' +
  'data: {"response":"days [1].","p":"abcdefgh"}\n\n' +
  'data: {"response":"","usage":{"prompt_tokens":61,"completion_tokens":7,"total_tokens":68}}\n\n' +
  "data: [DONE]\n\n";

describe("workers-ai model", () => {
  it("parses the binding's SSE stream into deltas and usage", async () => {
    const { ai, calls } = fakeAi(async () => sseBody(NATIVE_STREAM));
    const req = sampleRequest("How long do refunds take?", { temperature: 0.1 });
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL }).stream(req));
    expect(out.deltas).toEqual(["Refunds ", "take 5 ", "days [1]."]);
    expect(out.done).toEqual({
      type: "done",
      model: `workers-ai:${MODEL}`,
      usage: { input_tokens: 61, output_tokens: 7, estimated: false },
      finish_reason: "stop",
    });
    expect(calls).toEqual([
      { model: MODEL, inputs: { messages: req.messages, stream: true, max_tokens: 1024, temperature: 0.1 } },
    ]);
  });

  it("reads CRLF line ends and OpenAI-shaped chunks, estimating usage when none is sent", async () => {
    const body =
      'data: {"choices":[{"delta":{"content":"Hello"},"finish_reason":null}]}\r\n\r\n' +
      ": keep-alive comment\r\n\r\n" +
      'data: {"choices":[{"delta":{"content":" there"},"finish_reason":"length"}]}\r\n\r\n' +
      "data: [DONE]\r\n\r\n";
    const { ai } = fakeAi(async () => sseBody(body, 3));
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL }).stream(sampleRequest("hi")));
    expect(out.text).toBe("Hello there");
    expect(out.done?.finish_reason).toBe("length");
    expect(out.done?.usage.estimated).toBe(true);
    expect(out.done?.usage.output_tokens).toBeGreaterThan(0);
  });

  it("maps the binding's capacity error (3040) to a retryable overloaded error", async () => {
    const { ai } = fakeAi(async () => {
      throw new Error("3040: Capacity temporarily exceeded, please try again.");
    });
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL }).stream(sampleRequest("hi")));
    expect(out.error).toMatchObject({ kind: "overloaded", retryable: true, model: `workers-ai:${MODEL}` });
  });

  it("maps an unknown model (5007) to a non-retryable invalid_request", async () => {
    const { ai } = fakeAi(async () => {
      throw new Error("AiError: No such model @cf/nope or task (5007)");
    });
    const out = await collect(new WorkersAIChatModel({ ai, model: "@cf/nope" }).stream(sampleRequest("hi")));
    expect(out.error).toMatchObject({ kind: "invalid_request", retryable: false });
  });

  it("surfaces a stream that breaks or ends before [DONE]", async () => {
    const partial = 'data: {"response":"Refunds "}\n\n';
    const broken = fakeAi(async () => sseBody(partial, 64, { error: new Error("Network connection lost.") }));
    const a = await collect(new WorkersAIChatModel({ ai: broken.ai, model: MODEL }).stream(sampleRequest("hi")));
    expect(a.deltas).toEqual(["Refunds "]);
    expect(a.error).toMatchObject({ kind: "connection" });

    const cut = fakeAi(async () => sseBody(partial));
    const b = await collect(new WorkersAIChatModel({ ai: cut.ai, model: MODEL }).stream(sampleRequest("hi")));
    expect(b.done).toBeUndefined();
    expect(b.error).toMatchObject({ kind: "connection" });
  });

  it("times out when the binding does not answer", async () => {
    const { ai } = fakeAi(() => new Promise(() => {}));
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL, timeoutMs: 100 }).stream(sampleRequest("hi")));
    expect(out.error).toMatchObject({ kind: "timeout", retryable: true });
  });

  it("stops a stream that is waiting for more when the signal fires", async () => {
    let seenSignal: AbortSignal | undefined;
    const { ai } = fakeAi(async (signal) => {
      seenSignal = signal;
      return sseBody('data: {"response":"Refunds "}\n\ndata: {"response":"take "}\n\n', 64, { hang: true });
    });
    const controller = new AbortController();
    const out = await collect(
      new WorkersAIChatModel({ ai, model: MODEL }).stream(sampleRequest("hi", { signal: controller.signal })),
      (count) => count === 2 && setTimeout(() => controller.abort(), 10),
    );
    expect(out.deltas).toEqual(["Refunds ", "take "]);
    expect(out.error).toMatchObject({ kind: "aborted" });
    expect(seenSignal?.aborted).toBe(true);
  });
});

/** SSE text of `events` (objects as JSON), ending with [DONE]. */
function sse(...events: unknown[]): string {
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join("") + "data: [DONE]\n\n";
}

describe("workers-ai model with tools", () => {
  const MODEL_4 = "@cf/meta/llama-4-scout-17b-16e-instruct";

  it("reads parallel calls streamed as top-level tool_calls fragments, with usage, and sends the tools", async () => {
    const body = sse(
      { response: "", tool_calls: [{ index: 0, id: "chatcmpl-tool-1", type: "function", function: { name: "lookup_order", arguments: "" } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: '{"order_' } }] },
      { response: "", tool_calls: [{ index: 0, function: { arguments: 'id": "A-1001"}' } }] },
      { response: "", tool_calls: [{ index: 1, id: "chatcmpl-tool-2", type: "function", function: { name: "cancel_order", arguments: '{"order_id": ' } }] },
      { response: "", tool_calls: [{ index: 1, function: { arguments: '"B-2002"}' } }] },
      { response: "", usage: { prompt_tokens: 240, completion_tokens: 31, total_tokens: 271 } },
    );
    const { ai, calls } = fakeAi(async () => sseBody(body, 11));
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL_4 }).stream(toolRequest("Where is A-1001, and cancel B-2002")));
    expect(out.error).toBeUndefined();
    expect(out.calls).toEqual([
      { call_id: "chatcmpl-tool-1", name: "lookup_order", arguments: { order_id: "A-1001" } },
      { call_id: "chatcmpl-tool-2", name: "cancel_order", arguments: { order_id: "B-2002" } },
    ]);
    expect(out.done).toEqual({
      type: "done",
      model: `workers-ai:${MODEL_4}`,
      usage: { input_tokens: 240, output_tokens: 31, estimated: false },
      finish_reason: "tool_calls",
    });
    expect(calls[0]?.inputs.tools).toEqual(
      ORDER_TOOLS.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })),
    );
  });

  it("reads text then a call from OpenAI-shaped chunks, and keeps arguments that do not parse as invalid", async () => {
    const body = sse(
      { choices: [{ delta: { content: "Checking " }, finish_reason: null }] },
      { choices: [{ delta: { content: "now." }, finish_reason: null }] },
      { choices: [{ delta: { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "lookup_order", arguments: '{"order_id":' } }] }, finish_reason: null }] },
      { choices: [{ delta: { tool_calls: [{ index: 0, function: { arguments: " A-1001}" } }] }, finish_reason: "tool_calls" }] },
    );
    const { ai } = fakeAi(async () => sseBody(body, 5));
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL_4 }).stream(toolRequest("Where is A-1001?")));
    expect(out.text).toBe("Checking now.");
    expect(out.calls).toHaveLength(1);
    expect(out.calls[0]).toMatchObject({ call_id: "call_a", name: "lookup_order", invalid: { raw: '{"order_id": A-1001}' } });
    expect(out.order.indexOf("tool_call")).toBeGreaterThan(out.order.lastIndexOf("delta"));
    expect(out.done?.finish_reason).toBe("tool_calls");
    // No usage sent: estimated from the text and the arguments.
    expect(out.done?.usage.estimated).toBe(true);
    expect(out.done?.usage.output_tokens).toBeGreaterThan(0);
  });

  it("reads a one-piece answer whose calls carry parsed arguments and no id", async () => {
    const { ai } = fakeAi(async () => ({
      response: null,
      tool_calls: [{ name: "lookup_order", arguments: { order_id: "A-1001" } }],
      usage: { prompt_tokens: 180, completion_tokens: 12, total_tokens: 192 },
    }));
    const out = await collect(new WorkersAIChatModel({ ai, model: "@hf/nousresearch/hermes-2-pro-mistral-7b" }).stream(toolRequest("Where is A-1001?")));
    expect(out.error).toBeUndefined();
    expect(out.calls).toEqual([{ call_id: expect.stringMatching(/^call_\w+$/), name: "lookup_order", arguments: { order_id: "A-1001" } }]);
    expect(out.done?.usage).toEqual({ input_tokens: 180, output_tokens: 12, estimated: false });
    expect(out.done?.finish_reason).toBe("tool_calls");
  });

  it("sends calls and their results back as tool_calls and tool messages, and no tools when a text answer is asked for", async () => {
    const { ai, calls } = fakeAi(async () => sseBody(NATIVE_STREAM));
    const question = "Where is A-1001?";
    const req = toolRequest(question, {
      toolChoice: "none",
      messages: [
        ...sampleRequest(question).messages,
        { role: "assistant", content: "", tool_calls: [{ call_id: "call_a", name: "lookup_order", arguments: { order_id: "A-1001" } }] },
        { role: "tool", call_id: "call_a", name: "lookup_order", content: '{"status":"shipped"}' },
      ],
    });
    const out = await collect(new WorkersAIChatModel({ ai, model: MODEL_4 }).stream(req));
    expect(out.text).toBe("Refunds take 5 days [1].");
    expect(out.done?.finish_reason).toBe("stop");
    const inputs = calls[0]?.inputs as { messages: unknown[]; tools?: unknown };
    expect(inputs.tools).toBeUndefined();
    expect(inputs.messages.slice(3)).toEqual([
      {
        role: "assistant",
        content: "",
        tool_calls: [{ id: "call_a", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1001"}' } }],
      },
      { role: "tool", tool_call_id: "call_a", name: "lookup_order", content: '{"status":"shipped"}' },
    ]);
  });
});
