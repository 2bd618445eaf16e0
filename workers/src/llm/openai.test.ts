import { describe, expect, it } from "vitest";
import { OpenAIChatModel, type OpenAIChatModelOptions } from "./openai";
import { collect, eventually, fakeScenario, ORDER_TOOLS, sampleRequest, toolRequest } from "../../test/llm-helpers";

// Mirrors workers/test/fake-llm-server.ts, which runs in Node and cannot be imported here.
const FAKE_ANSWER = "Refunds are processed within 5 business days [1].";
const FAKE_WORDS = FAKE_ANSWER.match(/\S+\s*/g) ?? [];
const FAKE_INPUT_TOKENS = 57;

function openai(baseURL: string, extra: Partial<OpenAIChatModelOptions> = {}) {
  return new OpenAIChatModel({ apiKey: "sk-test", baseURL, model: "gpt-4o-mini", timeoutMs: 2_000, ...extra });
}

describe("openai model", () => {
  it("streams the deltas in order, then usage from the final chunk", async () => {
    const fake = fakeScenario("ok");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("How long do refunds take?")));
    expect(out.error).toBeUndefined();
    expect(out.deltas).toEqual(FAKE_WORDS);
    expect(out.done).toEqual({
      type: "done",
      model: "openai:gpt-4o-mini",
      usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: FAKE_WORDS.length, estimated: false },
      finish_reason: "stop",
    });
  });

  it("sends the assembled prompt, streaming with usage, through the official SDK", async () => {
    const fake = fakeScenario("ok");
    const req = sampleRequest("How long do refunds take?", { temperature: 0.2, maxTokens: 300 });
    await collect(openai(fake.openaiBaseURL).stream(req));
    const [sent] = await fake.requests();
    expect(sent?.provider).toBe("openai");
    expect(sent?.headers.authorization).toBe("Bearer sk-test");
    expect(sent?.body).toEqual({
      model: "gpt-4o-mini",
      messages: req.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      // A custom base URL means an OpenAI-compatible server: the widely understood field.
      max_tokens: 300,
    });
  });

  it("turns a 429 into a retryable rate_limited error with its Retry-After, without retrying itself", async () => {
    const fake = fakeScenario("429:7");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("Hi there, refunds?")));
    expect(out.error).toMatchObject({ kind: "rate_limited", status: 429, retryable: true, retryAfterMs: 7_000 });
    expect(out.error?.model).toBe("openai:gpt-4o-mini");
    expect(await fake.requests()).toHaveLength(1);
  });

  it.each([
    ["500", "server_error", true],
    ["503", "server_error", true],
    ["400", "invalid_request", false],
    ["401", "auth", false],
  ] as const)("maps HTTP %s to %s (retryable: %s)", async (step, kind, retryable) => {
    const fake = fakeScenario(step);
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind, retryable, status: Number(step) });
  });

  it("times out when the first byte is too slow", async () => {
    const fake = fakeScenario("slow:3000");
    const started = Date.now();
    const out = await collect(openai(fake.openaiBaseURL, { timeoutMs: 300 }).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind: "timeout", retryable: true });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it("fails as a connection error when nothing listens", async () => {
    const out = await collect(openai("http://127.0.0.1:9/v1").stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind: "connection", retryable: true });
  });

  it("surfaces an error event after the first deltas", async () => {
    const fake = fakeScenario("midstream-error");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("refunds")));
    expect(out.deltas).toEqual(FAKE_WORDS.slice(0, 3));
    expect(out.done).toBeUndefined();
    expect(out.error).toMatchObject({ kind: "server_error", status: undefined });
  });

  it("surfaces a dropped connection mid-stream", async () => {
    const fake = fakeScenario("disconnect");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("refunds")));
    expect(out.deltas).toEqual(FAKE_WORDS.slice(0, 3));
    expect(out.error).toMatchObject({ kind: "connection" });
  });

  it("does not mistake a stream that ends without finishing for an answer", async () => {
    const fake = fakeScenario("truncated");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("refunds")));
    expect(out.done).toBeUndefined();
    expect(out.error).toMatchObject({ kind: "connection" });
  });

  it("stops streaming and closes the request when the signal fires", async () => {
    const fake = fakeScenario("drip");
    const controller = new AbortController();
    const out = await collect(
      openai(fake.openaiBaseURL).stream(sampleRequest("refunds", { signal: controller.signal })),
      (count) => count === 2 && controller.abort(),
    );
    expect(out.deltas).toHaveLength(2);
    expect(out.error).toMatchObject({ kind: "aborted", retryable: false });
    expect(await eventually(async () => (await fake.requests())[0]?.closed_early === true)).toBe(true);
  });

  it("does not call the server at all when the signal has already fired", async () => {
    const fake = fakeScenario("ok");
    const out = await collect(openai(fake.openaiBaseURL).stream(sampleRequest("refunds", { signal: AbortSignal.abort() })));
    expect(out.error).toMatchObject({ kind: "aborted" });
    expect(await fake.requests()).toHaveLength(0);
  });
});

describe("openai model with tools", () => {
  const LOOKUP = { id: "call_lookup1", name: "lookup_order", arguments: '{"order_id":"A-1001"}' };
  const CANCEL = { id: "call_cancel1", name: "cancel_order", arguments: '{"order_id":"B-2002","reason":"ordered twice"}' };

  it("streams one tool call, sends the tools as functions, and counts the call's tokens", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [LOOKUP], output_tokens: 18 });
    const out = await collect(openai(fake.openaiBaseURL).stream(toolRequest("Where is order A-1001?")));
    expect(out.error).toBeUndefined();
    expect(out.deltas).toEqual([]);
    expect(out.calls).toEqual([{ call_id: "call_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } }]);
    expect(out.done).toEqual({
      type: "done",
      model: "openai:gpt-4o-mini",
      usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: 18, estimated: false },
      finish_reason: "tool_calls",
    });
    const [sent] = await fake.requests();
    expect((sent?.body as { tools?: unknown }).tools).toEqual(
      ORDER_TOOLS.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } })),
    );
    expect(sent?.body).not.toHaveProperty("tool_choice");
  });

  it("puts parallel calls back together by index, in order", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [LOOKUP, CANCEL] });
    const out = await collect(openai(fake.openaiBaseURL).stream(toolRequest("Where is A-1001, and cancel B-2002")));
    expect(out.calls).toEqual([
      { call_id: "call_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } },
      { call_id: "call_cancel1", name: "cancel_order", arguments: { order_id: "B-2002", reason: "ordered twice" } },
    ]);
    expect(out.done?.finish_reason).toBe("tool_calls");
  });

  it("surfaces arguments that are not JSON as an invalid call, and still finishes the stream", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [{ id: "call_bad", name: "lookup_order", arguments: '{"order_id": "A-10' }, LOOKUP] });
    const out = await collect(openai(fake.openaiBaseURL).stream(toolRequest("Where is A-1001?")));
    expect(out.error).toBeUndefined();
    expect(out.calls[0]).toMatchObject({ call_id: "call_bad", name: "lookup_order", invalid: { raw: '{"order_id": "A-10' } });
    expect(out.calls[0]?.invalid?.error).toMatch(/JSON|Unterminated|Unexpected/i);
    expect(out.calls[1]).toEqual({ call_id: "call_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } });
    expect(out.done?.finish_reason).toBe("tool_calls");
  });

  it("streams text and then a call of the same answer", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ text: "Let me check that order for you.", tool_calls: [LOOKUP] });
    const out = await collect(openai(fake.openaiBaseURL).stream(toolRequest("Where is A-1001?")));
    expect(out.text).toBe("Let me check that order for you.");
    expect(out.calls.map((c) => c.call_id)).toEqual(["call_lookup1"]);
    expect(out.order.at(-2)).toBe("tool_call");
    expect(out.order.indexOf("tool_call")).toBeGreaterThan(out.order.lastIndexOf("delta"));
  });

  it("sends the calls and their results back in the chat-completions shape", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ text: "Order A-1001 shipped on Monday and arrives Thursday." });
    const req = toolRequest("Where is A-1001, and cancel B-2002", {
      toolChoice: "none",
      messages: [
        ...sampleRequest("Where is A-1001, and cancel B-2002").messages,
        {
          role: "assistant",
          content: "",
          tool_calls: [
            { call_id: "call_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } },
            { call_id: "call_bad", name: "cancel_order", invalid: { raw: '{"order_id": B-2002}', error: "Unexpected token" } },
          ],
        },
        { role: "tool", call_id: "call_lookup1", name: "lookup_order", content: '{"status":"shipped"}' },
        { role: "tool", call_id: "call_bad", name: "cancel_order", content: "Error: the arguments are not valid JSON", is_error: true },
      ],
    });
    const out = await collect(openai(fake.openaiBaseURL).stream(req));
    expect(out.text).toBe("Order A-1001 shipped on Monday and arrives Thursday.");
    expect(out.done?.finish_reason).toBe("stop");
    const [sent] = await fake.requests();
    const body = sent?.body as { messages: unknown[]; tool_choice?: unknown };
    expect(body.tool_choice).toBe("none");
    expect(body.messages.slice(3)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [
          { id: "call_lookup1", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1001"}' } },
          { id: "call_bad", type: "function", function: { name: "cancel_order", arguments: '{"order_id": B-2002}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_lookup1", content: '{"status":"shipped"}' },
      { role: "tool", tool_call_id: "call_bad", content: "Error: the arguments are not valid JSON" },
    ]);
  });
});
