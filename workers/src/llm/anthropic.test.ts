import { describe, expect, it } from "vitest";
import { AnthropicChatModel, toAnthropicPrompt, type AnthropicChatModelOptions } from "./anthropic";
import { collect, eventually, fakeScenario, ORDER_TOOLS, sampleRequest, toolRequest } from "../../test/llm-helpers";

// Mirrors workers/test/fake-llm-server.ts, which runs in Node and cannot be imported here.
const FAKE_ANSWER = "Refunds are processed within 5 business days [1].";
const FAKE_WORDS = FAKE_ANSWER.match(/\S+\s*/g) ?? [];
const FAKE_INPUT_TOKENS = 57;

function anthropic(baseURL: string, extra: Partial<AnthropicChatModelOptions> = {}) {
  return new AnthropicChatModel({ apiKey: "sk-ant-test", baseURL, model: "claude-3-5-haiku-latest", timeoutMs: 2_000, ...extra });
}

describe("anthropic model", () => {
  it("streams the text deltas in order, with usage from message_start and message_delta", async () => {
    const fake = fakeScenario("ok");
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("How long do refunds take?")));
    expect(out.error).toBeUndefined();
    expect(out.deltas).toEqual(FAKE_WORDS);
    expect(out.done).toEqual({
      type: "done",
      model: "anthropic:claude-3-5-haiku-latest",
      usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: FAKE_WORDS.length, estimated: false },
      finish_reason: "stop",
    });
  });

  it("sends the system prompt as the top-level system field", async () => {
    const fake = fakeScenario("ok");
    const req = sampleRequest("How long do refunds take?", { temperature: 0.3 });
    await collect(anthropic(fake.anthropicBaseURL, { maxTokens: 400 }).stream(req));
    const [sent] = await fake.requests();
    // The SDK sends the key as `x-api-key` or, in recent versions, as a bearer token.
    expect(sent?.headers["x-api-key"] ?? sent?.headers.authorization).toMatch(/^(Bearer )?sk-ant-test$/);
    expect(sent?.headers["anthropic-version"]).toBeTruthy();
    expect(sent?.body).toEqual({
      model: "claude-3-5-haiku-latest",
      max_tokens: 400,
      system: `${req.messages[0]?.content}\n\n${req.messages[1]?.content}`,
      messages: [{ role: "user", content: "How long do refunds take?" }],
      stream: true,
      temperature: 0.3,
    });
  });

  it("merges consecutive turns of one role and starts with the visitor", () => {
    const prompt = toAnthropicPrompt(
      [
        { role: "system", content: "Be brief." },
        { role: "assistant", content: "Hello! How can I help?" },
        { role: "user", content: "My order is late." },
        { role: "user", content: "Where is it?" },
      ],
      "Where is it?",
    );
    expect(prompt).toEqual({
      system: "Be brief.",
      messages: [
        { role: "user", content: "Where is it?" },
        { role: "assistant", content: "Hello! How can I help?" },
        { role: "user", content: "My order is late.\n\nWhere is it?" },
      ],
    });
  });

  it("maps 529 overloaded_error to a retryable overloaded error", async () => {
    const fake = fakeScenario("529");
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind: "overloaded", status: 529, retryable: true });
    expect(await fake.requests()).toHaveLength(1);
  });

  it("maps a 429 with its Retry-After", async () => {
    const fake = fakeScenario("429:3");
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind: "rate_limited", status: 429, retryable: true, retryAfterMs: 3_000 });
  });

  it.each([
    ["500", "server_error", true],
    ["400", "invalid_request", false],
    ["401", "auth", false],
  ] as const)("maps HTTP %s to %s (retryable: %s)", async (step, kind, retryable) => {
    const fake = fakeScenario(step);
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind, retryable, status: Number(step) });
  });

  it("maps an overloaded error event before any text to a retryable error with nothing streamed", async () => {
    const fake = fakeScenario("error-before-text");
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(out.deltas).toEqual([]);
    expect(out.error).toMatchObject({ kind: "overloaded", retryable: true, status: undefined });
  });

  it("surfaces an error event after the first deltas", async () => {
    const fake = fakeScenario("midstream-error");
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(out.deltas).toEqual(FAKE_WORDS.slice(0, 3));
    expect(out.done).toBeUndefined();
    expect(out.error).toMatchObject({ kind: "overloaded" });
  });

  it("surfaces a dropped connection, and a stream that ends without message_stop", async () => {
    const dropped = await collect(anthropic(fakeScenario("disconnect").anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(dropped.deltas).toEqual(FAKE_WORDS.slice(0, 3));
    expect(dropped.error).toMatchObject({ kind: "connection" });
    const truncated = await collect(anthropic(fakeScenario("truncated").anthropicBaseURL).stream(sampleRequest("refunds")));
    expect(truncated.done).toBeUndefined();
    expect(truncated.error).toMatchObject({ kind: "connection" });
  });

  it("times out when the first byte is too slow", async () => {
    const fake = fakeScenario("slow:3000");
    const out = await collect(anthropic(fake.anthropicBaseURL, { timeoutMs: 300 }).stream(sampleRequest("refunds")));
    expect(out.error).toMatchObject({ kind: "timeout", retryable: true });
  });

  it("stops streaming and closes the request when the signal fires", async () => {
    const fake = fakeScenario("drip");
    const controller = new AbortController();
    const out = await collect(
      anthropic(fake.anthropicBaseURL).stream(sampleRequest("refunds", { signal: controller.signal })),
      (count) => count === 2 && controller.abort(),
    );
    expect(out.deltas).toHaveLength(2);
    expect(out.error).toMatchObject({ kind: "aborted", retryable: false });
    expect(await eventually(async () => (await fake.requests())[0]?.closed_early === true)).toBe(true);
  });
});

describe("anthropic model with tools", () => {
  const LOOKUP = { id: "toolu_lookup1", name: "lookup_order", arguments: '{"order_id":"A-1001"}' };
  const CANCEL = { id: "toolu_cancel1", name: "cancel_order", arguments: '{"order_id":"B-2002","reason":"ordered twice"}' };

  it("streams one tool_use block as a call, sends the tools with input_schema, and counts its tokens", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [LOOKUP], output_tokens: 21 });
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(toolRequest("Where is order A-1001?")));
    expect(out.error).toBeUndefined();
    expect(out.deltas).toEqual([]);
    expect(out.calls).toEqual([{ call_id: "toolu_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } }]);
    expect(out.done).toEqual({
      type: "done",
      model: "anthropic:claude-3-5-haiku-latest",
      usage: { input_tokens: FAKE_INPUT_TOKENS, output_tokens: 21, estimated: false },
      finish_reason: "tool_calls",
    });
    const [sent] = await fake.requests();
    expect((sent?.body as { tools?: unknown }).tools).toEqual(
      ORDER_TOOLS.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })),
    );
  });

  it("streams parallel tool_use blocks as separate calls, in order", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [LOOKUP, CANCEL] });
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(toolRequest("Where is A-1001, and cancel B-2002")));
    expect(out.calls).toEqual([
      { call_id: "toolu_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } },
      { call_id: "toolu_cancel1", name: "cancel_order", arguments: { order_id: "B-2002", reason: "ordered twice" } },
    ]);
  });

  it("surfaces input JSON that does not parse as an invalid call, and still finishes the stream", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ tool_calls: [{ id: "toolu_bad", name: "cancel_order", arguments: '{"order_id": B-2002}' }] });
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(toolRequest("cancel B-2002")));
    expect(out.error).toBeUndefined();
    expect(out.calls).toHaveLength(1);
    expect(out.calls[0]).toMatchObject({ call_id: "toolu_bad", name: "cancel_order", invalid: { raw: '{"order_id": B-2002}' } });
    expect(out.calls[0]?.arguments).toBeUndefined();
    expect(out.done?.finish_reason).toBe("tool_calls");
  });

  it("streams text and then a call of the same answer", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ text: "Let me check that order for you.", tool_calls: [LOOKUP] });
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(toolRequest("Where is A-1001?")));
    expect(out.text).toBe("Let me check that order for you.");
    expect(out.calls.map((c) => c.call_id)).toEqual(["toolu_lookup1"]);
    expect(out.order.indexOf("tool_call")).toBeGreaterThan(out.order.lastIndexOf("delta"));
  });

  it("sends the calls as tool_use blocks and their results as tool_result blocks of one user turn", async () => {
    const fake = fakeScenario("scripted");
    await fake.script({ text: "Order A-1001 shipped on Monday." });
    const question = "Where is A-1001, and cancel B-2002";
    const req = toolRequest(question, {
      toolChoice: "none",
      messages: [
        ...sampleRequest(question).messages,
        {
          role: "assistant",
          content: "Let me check.",
          tool_calls: [
            { call_id: "toolu_lookup1", name: "lookup_order", arguments: { order_id: "A-1001" } },
            { call_id: "toolu_bad", name: "cancel_order", invalid: { raw: '{"order_id": B-2002}', error: "Unexpected token" } },
          ],
        },
        { role: "tool", call_id: "toolu_lookup1", name: "lookup_order", content: '{"status":"shipped"}' },
        { role: "tool", call_id: "toolu_bad", name: "cancel_order", content: "Error: the arguments are not valid JSON", is_error: true },
      ],
    });
    const out = await collect(anthropic(fake.anthropicBaseURL).stream(req));
    expect(out.text).toBe("Order A-1001 shipped on Monday.");
    const [sent] = await fake.requests();
    const body = sent?.body as { messages: unknown[]; tool_choice?: unknown };
    expect(body.tool_choice).toEqual({ type: "none" });
    expect(body.messages).toEqual([
      { role: "user", content: question },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Let me check." },
          { type: "tool_use", id: "toolu_lookup1", name: "lookup_order", input: { order_id: "A-1001" } },
          { type: "tool_use", id: "toolu_bad", name: "cancel_order", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_lookup1", content: '{"status":"shipped"}' },
          { type: "tool_result", tool_use_id: "toolu_bad", content: "Error: the arguments are not valid JSON", is_error: true },
        ],
      },
    ]);
  });
});
