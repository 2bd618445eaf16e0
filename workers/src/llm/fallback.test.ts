import { describe, expect, it } from "vitest";
import { AnthropicChatModel } from "./anthropic";
import type { ChatChunk, ChatModel, ChatRequest } from "./chat-model";
import { ExtractiveChatModel } from "./extractive";
import { FallbackChatModel } from "./fallback";
import type { Logger } from "../lib/logger";
import { ModelError, type ModelErrorKind } from "./model-error";
import { OpenAIChatModel } from "./openai";
import { collect, fakeScenario, sampleRequest, toolRequest } from "../../test/llm-helpers";

const FAKE_ANSWER = "Refunds are processed within 5 business days [1]."; // as the fake server streams it
const quiet: Logger = { info() {}, warn() {}, error() {}, with: () => quiet };

/** A scripted model: each call plays the next script (deltas, then an error or a done). */
function scripted(name: string, ...scripts: { deltas?: string[]; fail?: ModelErrorKind; retryAfterMs?: number }[]) {
  let calls = 0;
  const model: ChatModel & { calls: () => number } = {
    name,
    supportsTools: false,
    calls: () => calls,
    async *stream(_req: ChatRequest): AsyncGenerator<ChatChunk> {
      const script = scripts[Math.min(calls, scripts.length - 1)] ?? {};
      calls += 1;
      for (const text of script.deltas ?? []) yield { type: "delta", text };
      if (script.fail) throw new ModelError(script.fail, `${name} failed`, { model: name, retryAfterMs: script.retryAfterMs });
      yield { type: "done", model: name, usage: { input_tokens: 1, output_tokens: 1, estimated: false }, finish_reason: "stop" };
    },
  };
  return model;
}

describe("fallback chain", () => {
  it.each(["rate_limited", "server_error", "overloaded", "timeout", "connection"] as const)(
    "moves to the next model after %s before any delta",
    async (kind) => {
      const first = scripted("a", { fail: kind });
      const second = scripted("b", { deltas: ["from b"] });
      const out = await collect(new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q")));
      expect(out.text).toBe("from b");
      expect(out.done?.model).toBe("b");
    },
  );

  it("surfaces a failure after deltas instead of splicing another model's answer onto it", async () => {
    const first = scripted("a", { deltas: ["Refunds are "], fail: "server_error" });
    const second = scripted("b", { deltas: ["something else"] });
    const out = await collect(new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q")));
    expect(out.text).toBe("Refunds are ");
    expect(out.error).toMatchObject({ kind: "server_error", model: "a" });
    expect(second.calls()).toBe(0);
  });

  it("surfaces a non-retryable error without trying further", async () => {
    const first = scripted("a", { fail: "invalid_request" });
    const second = scripted("b", { deltas: ["from b"] });
    const out = await collect(new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q")));
    expect(out.error).toMatchObject({ kind: "invalid_request", model: "a" });
    expect(second.calls()).toBe(0);
  });

  it("retries the same model once after a short Retry-After", async () => {
    const first = scripted("a", { fail: "rate_limited", retryAfterMs: 150 }, { deltas: ["from a"] });
    const second = scripted("b", { deltas: ["from b"] });
    const started = Date.now();
    const out = await collect(new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q")));
    expect(out.text).toBe("from a");
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(first.calls()).toBe(2);
    expect(second.calls()).toBe(0);
  });

  it("moves on at once when the Retry-After is too long to wait", async () => {
    const first = scripted("a", { fail: "rate_limited", retryAfterMs: 30_000 });
    const second = scripted("b", { deltas: ["from b"] });
    const started = Date.now();
    const out = await collect(new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q")));
    expect(out.text).toBe("from b");
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(first.calls()).toBe(1);
  });

  it("throws the last error when every model fails", async () => {
    const out = await collect(
      new FallbackChatModel([scripted("a", { fail: "timeout" }), scripted("b", { fail: "overloaded" })], { logger: quiet }).stream(
        sampleRequest("q"),
      ),
    );
    expect(out.error).toMatchObject({ kind: "overloaded", model: "b" });
  });

  it("never falls back once the caller has aborted, even while waiting to retry", async () => {
    const controller = new AbortController();
    const first = scripted("a", { fail: "rate_limited", retryAfterMs: 1_000 });
    const second = scripted("b", { deltas: ["from b"] });
    setTimeout(() => controller.abort(), 50);
    const out = await collect(
      new FallbackChatModel([first, second], { logger: quiet }).stream(sampleRequest("q", { signal: controller.signal })),
    );
    expect(out.error).toMatchObject({ kind: "aborted" });
    expect(second.calls()).toBe(0);
  });
});

describe("fallback chain over the real SDKs and the fake server", () => {
  const openai = (baseURL: string, timeoutMs = 2_000) =>
    new OpenAIChatModel({ apiKey: "sk-test", baseURL, model: "gpt-4o-mini", timeoutMs });
  const anthropic = (baseURL: string, timeoutMs = 2_000) =>
    new AnthropicChatModel({ apiKey: "sk-ant-test", baseURL, model: "claude-3-5-haiku-latest", timeoutMs });

  it("answers from the second provider when the first is rate limited", async () => {
    const a = fakeScenario("429");
    const b = fakeScenario("ok");
    const chain = new FallbackChatModel([openai(a.openaiBaseURL), anthropic(b.anthropicBaseURL)], { logger: quiet });
    const out = await collect(chain.stream(sampleRequest("How long do refunds take?")));
    expect(out.text).toBe(FAKE_ANSWER);
    expect(out.done?.model).toBe("anthropic:claude-3-5-haiku-latest");
    expect(await a.requests()).toHaveLength(1);
  });

  it("waits out a 1 s Retry-After and gets the answer from the same provider", async () => {
    const a = fakeScenario("429:1", "ok");
    const b = fakeScenario("ok");
    const chain = new FallbackChatModel([openai(a.openaiBaseURL), anthropic(b.anthropicBaseURL)], { logger: quiet });
    const started = Date.now();
    const out = await collect(chain.stream(sampleRequest("How long do refunds take?")));
    expect(out.done?.model).toBe("openai:gpt-4o-mini");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect((await a.requests()).map((r) => r.step)).toEqual(["429:1", "ok"]);
    expect(await b.requests()).toHaveLength(0);
  });

  it("falls back on 500, on Anthropic's 529 overloaded, and on a first-byte timeout", async () => {
    const cases = [
      { first: openai(fakeScenario("500").openaiBaseURL), kind: "server_error" },
      { first: anthropic(fakeScenario("529").anthropicBaseURL), kind: "overloaded" },
      { first: openai(fakeScenario("slow:3000").openaiBaseURL, 300), kind: "timeout" },
    ];
    for (const { first } of cases) {
      const second = openai(fakeScenario("ok").openaiBaseURL);
      const chain = new FallbackChatModel([first, second], { logger: quiet });
      const out = await collect(chain.stream(sampleRequest("How long do refunds take?")));
      expect(out.error).toBeUndefined();
      expect(out.text).toBe(FAKE_ANSWER);
    }
  });

  it("ends with the extractive model when every provider is down", async () => {
    const chain = new FallbackChatModel(
      [openai(fakeScenario("503").openaiBaseURL), anthropic(fakeScenario("529").anthropicBaseURL), new ExtractiveChatModel()],
      { logger: quiet },
    );
    const out = await collect(chain.stream(sampleRequest("How long do refunds take?")));
    expect(out.done?.model).toBe("extractive");
    expect(out.text).toContain("[1]");
  });

  it("surfaces a provider's mid-stream failure and never calls the next one", async () => {
    const a = fakeScenario("midstream-error");
    const b = fakeScenario("ok");
    const chain = new FallbackChatModel([anthropic(a.anthropicBaseURL), openai(b.openaiBaseURL)], { logger: quiet });
    const out = await collect(chain.stream(sampleRequest("How long do refunds take?")));
    expect(out.text).toBe("Refunds are processed ");
    expect(out.error).toMatchObject({ kind: "overloaded", model: "anthropic:claude-3-5-haiku-latest" });
    expect(await b.requests()).toHaveLength(0);
  });

  it("passes tools to the models that take them and strips them for one that cannot", async () => {
    const a = fakeScenario("503");
    const seen: ChatRequest[] = [];
    const plain: ChatModel = {
      name: "plain",
      supportsTools: false,
      async *stream(req: ChatRequest): AsyncGenerator<ChatChunk> {
        seen.push(req);
        yield { type: "delta", text: "from plain" };
        yield { type: "done", model: "plain", usage: { input_tokens: 1, output_tokens: 1, estimated: false }, finish_reason: "stop" };
      },
    };
    const chain = new FallbackChatModel([openai(a.openaiBaseURL), plain], { logger: quiet });
    expect(chain.supportsTools).toBe(true);
    expect(new FallbackChatModel([new ExtractiveChatModel()], { logger: quiet }).supportsTools).toBe(false);
    const question = "Where is A-1001?";
    const req = toolRequest(question, {
      messages: [
        ...sampleRequest(question).messages,
        { role: "assistant", content: "Let me check.", tool_calls: [{ call_id: "c1", name: "lookup_order", arguments: { order_id: "A-1001" } }] },
        { role: "tool", call_id: "c1", name: "lookup_order", content: '{"status":"shipped"}' },
      ],
    });
    const out = await collect(chain.stream(req));
    expect(out.text).toBe("from plain");
    expect(((await a.requests())[0]?.body as { tools?: unknown[] }).tools).toHaveLength(2);
    expect(seen[0]?.tools).toBeUndefined();
    expect(seen[0]?.messages.slice(3)).toEqual([{ role: "assistant", content: "Let me check." }]);
  });
});
