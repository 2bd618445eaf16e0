import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatModel, ChatRequest, ToolCall, ToolChatChunk, TokenUsage, ValidToolCall } from "./chat-model";
import { ModelError, type ModelErrorKind } from "./model-error";
import { OpenAIChatModel } from "./openai";
import { DECLINED_RESULT, runToolLoop, type ToolEvent, type ToolLoopOptions, type ToolLoopResult } from "./tool-loop";
import { fakeScenario, ORDER_TOOLS, sampleRequest } from "../../test/llm-helpers";

/** One answer of the scripted model: text, calls, then done (or a failure). */
interface Step {
  text?: string;
  calls?: ToolCall[];
  usage?: Partial<TokenUsage>;
  fail?: ModelErrorKind;
}

/** An in-memory model that plays `steps` in order and records every request it gets. */
function scriptedModel(steps: Step[], supportsTools = true) {
  const requests: ChatRequest[] = [];
  async function* stream(req: ChatRequest): AsyncGenerator<ToolChatChunk> {
    // A copy: the loop goes on adding to its own history.
    requests.push({ ...req, messages: [...req.messages] });
    const step = steps[requests.length - 1];
    if (!step) throw new Error(`no step ${requests.length} scripted`);
    if (step.text) for (const word of step.text.match(/\S+\s*/g) ?? []) yield { type: "delta", text: word };
    if (step.fail) throw new ModelError(step.fail, "scripted failure", { model: "scripted" });
    for (const call of step.calls ?? []) yield { type: "tool_call", call };
    yield {
      type: "done",
      model: "scripted",
      usage: { input_tokens: 100, output_tokens: 10, estimated: false, ...step.usage },
      finish_reason: step.calls?.length ? "tool_calls" : "stop",
    };
  }
  // One implementation serves both of the seam's overloads: text-only requests get no calls.
  const model: ChatModel = { name: "scripted", supportsTools, stream: stream as ChatModel["stream"] };
  return { model, requests };
}

const lookup = (id: string, order = "A-1001"): ValidToolCall => ({ call_id: id, name: "lookup_order", arguments: { order_id: order } });
const cancel = (id: string, order = "B-2002"): ValidToolCall => ({ call_id: id, name: "cancel_order", arguments: { order_id: order } });

/** Runs the loop to its end: text, done, result, events, or the error it threw. */
async function run(model: ChatModel, extra: Partial<ToolLoopOptions> = {}) {
  const events: ToolEvent[] = [];
  const executed: ValidToolCall[] = [];
  const options: ToolLoopOptions = {
    model,
    request: sampleRequest("Where is my order A-1001?"),
    tools: ORDER_TOOLS,
    execute: async (call) => {
      executed.push(call);
      return { order_id: call.arguments.order_id, status: "shipped", arrives: "Thursday" };
    },
    onEvent: (e) => events.push(e),
    maxSteps: 4,
    callTimeoutMs: 1_000,
    maxResultChars: 2_000,
    ...extra,
  };
  const out = { text: "", done: undefined as Extract<ToolChatChunk, { type: "done" }> | undefined, events, executed };
  const loop = runToolLoop(options);
  try {
    for (;;) {
      const next = await loop.next();
      if (next.done) return { ...out, result: next.value as ToolLoopResult, error: undefined };
      if (next.value.type === "delta") out.text += next.value.text;
      else out.done = next.value;
    }
  } catch (err) {
    return { ...out, result: undefined, error: err as ModelError };
  }
}

/** The tool messages of a request's history. */
const toolMessages = (req: ChatRequest | undefined) => (req?.messages ?? []).filter((m): m is Extract<ChatMessage, { role: "tool" }> => m.role === "tool");

describe("tool loop", () => {
  it("runs the call the model makes, gives it the result, and streams the answer with every step's tokens", async () => {
    const { model, requests } = scriptedModel([
      { text: "Let me check.", calls: [lookup("c1")], usage: { output_tokens: 12 } },
      { text: "Your order shipped and arrives Thursday.", usage: { input_tokens: 150, output_tokens: 9 } },
    ]);
    const out = await run(model);
    expect(out.error).toBeUndefined();
    expect(out.text).toBe("Let me check.\n\nYour order shipped and arrives Thursday.");
    expect(out.done).toEqual({ type: "done", model: "scripted", usage: { input_tokens: 250, output_tokens: 21, estimated: false }, finish_reason: "stop" });
    expect(out.events).toEqual([
      { type: "tool", call_id: "c1", name: "lookup_order", status: "running" },
      { type: "tool", call_id: "c1", name: "lookup_order", status: "done" },
    ]);
    expect(requests[0]?.tools).toEqual(ORDER_TOOLS);
    expect(requests[0]?.toolChoice).toBe("auto");
    expect(requests[1]?.messages.slice(3)).toEqual([
      { role: "assistant", content: "Let me check.", tool_calls: [lookup("c1")] },
      { role: "tool", call_id: "c1", name: "lookup_order", content: '{"order_id":"A-1001","status":"shipped","arrives":"Thursday"}' },
    ]);
    expect(out.result).toMatchObject({ steps: 2, usage: { input_tokens: 250, output_tokens: 21, estimated: false } });
    expect(out.result?.calls).toEqual([
      { call_id: "c1", name: "lookup_order", status: "done", arguments: { order_id: "A-1001" }, result: '{"order_id":"A-1001","status":"shipped","arrives":"Thursday"}', step: 1 },
    ]);
    expect(out.result?.messages).toEqual(requests[1]?.messages.slice(3));
  });

  it("runs parallel calls at the same time and returns their results in the model's order", async () => {
    const { model, requests } = scriptedModel([{ calls: [lookup("c1", "A-1"), lookup("c2", "A-2"), lookup("c3", "A-3")] }, { text: "All three shipped." }]);
    let running = 0;
    let most = 0;
    const out = await run(model, {
      execute: async (call) => {
        running += 1;
        most = Math.max(most, running);
        // The first call finishes last.
        await new Promise((r) => setTimeout(r, call.call_id === "c1" ? 60 : 10));
        running -= 1;
        return `order ${String(call.arguments.order_id)} shipped`;
      },
    });
    expect(most).toBe(3);
    expect(toolMessages(requests[1]).map((m) => [m.call_id, m.content])).toEqual([
      ["c1", "order A-1 shipped"],
      ["c2", "order A-2 shipped"],
      ["c3", "order A-3 shipped"],
    ]);
    expect(out.events.filter((e) => e.status === "done").map((e) => e.call_id)).toEqual(["c2", "c3", "c1"]);
  });

  it("does not run a call with invalid arguments or an unknown name, and tells the model why", async () => {
    const { model, requests } = scriptedModel([
      {
        calls: [
          { call_id: "bad", name: "lookup_order", invalid: { raw: '{"order_id": A-1}', error: "Unexpected token 'A'" } },
          { call_id: "ghost", name: "delete_account", arguments: {} },
        ],
      },
      { text: "Sorry, which order?" },
    ]);
    const out = await run(model);
    expect(out.executed).toEqual([]);
    expect(out.events.map((e) => [e.call_id, e.status])).toEqual([
      ["bad", "failed"],
      ["ghost", "failed"],
    ]);
    const [bad, ghost] = toolMessages(requests[1]);
    expect(bad).toMatchObject({ call_id: "bad", is_error: true });
    expect(bad?.content).toContain("not valid JSON");
    expect(ghost).toMatchObject({ call_id: "ghost", is_error: true, content: "Error: there is no tool named delete_account" });
    expect(out.result?.calls[0]).toMatchObject({ call_id: "bad", status: "failed", arguments: null });
    expect(out.text).toBe("Sorry, which order?");
  });

  it("asks before a call that needs confirmation, and tells the model when the visitor declines", async () => {
    const { model, requests } = scriptedModel([{ calls: [cancel("c1")] }, { text: "Okay, I left the order as it is." }]);
    const asked: string[] = [];
    const out = await run(model, {
      needsConfirmation: (call) => call.name === "cancel_order",
      confirm: async (call) => {
        asked.push(call.call_id);
        return false;
      },
    });
    expect(asked).toEqual(["c1"]);
    expect(out.executed).toEqual([]);
    expect(out.events).toEqual([{ type: "tool", call_id: "c1", name: "cancel_order", status: "declined" }]);
    expect(toolMessages(requests[1])).toEqual([{ role: "tool", call_id: "c1", name: "cancel_order", content: DECLINED_RESULT }]);
    expect(out.result?.calls[0]).toMatchObject({ status: "declined", arguments: { order_id: "B-2002" } });
  });

  it("runs a confirmed call, and only it, after the visitor approves", async () => {
    const { model } = scriptedModel([{ calls: [cancel("c1"), lookup("c2")] }, { text: "Cancelled." }]);
    const asked: string[] = [];
    const out = await run(model, {
      needsConfirmation: (call) => call.name === "cancel_order",
      confirm: async (call) => {
        asked.push(call.call_id);
        return true;
      },
    });
    expect(asked).toEqual(["c1"]);
    expect(out.executed.map((c) => c.call_id).sort()).toEqual(["c1", "c2"]);
    expect(out.result?.calls.map((c) => c.status)).toEqual(["done", "done"]);
  });

  it("fails a call that outlives its timeout, aborting its signal, and a call that throws", async () => {
    const { model, requests } = scriptedModel([{ calls: [lookup("slow"), lookup("broken")] }, { text: "The order system is not answering." }]);
    let slowSignal: AbortSignal | undefined;
    const out = await run(model, {
      callTimeoutMs: 50,
      execute: (call, signal) => {
        if (call.call_id === "broken") return Promise.reject(new Error("upstream answered 502"));
        slowSignal = signal;
        return new Promise(() => {});
      },
    });
    expect(slowSignal?.aborted).toBe(true);
    const [slow, broken] = toolMessages(requests[1]);
    expect(slow).toMatchObject({ is_error: true, content: "Error: the tool did not answer within 50 ms" });
    expect(broken).toMatchObject({ is_error: true, content: "Error: upstream answered 502" });
    expect(out.events.filter((e) => e.status === "failed").map((e) => e.call_id).sort()).toEqual(["broken", "slow"]);
  });

  it("cuts a result longer than the limit and says so", async () => {
    const { model, requests } = scriptedModel([{ calls: [lookup("c1")] }, { text: "Here it is." }]);
    await run(model, { maxResultChars: 100, execute: async () => "x".repeat(1_000) });
    const [message] = toolMessages(requests[1]);
    expect(message?.content).toBe(`${"x".repeat(100)}… [cut: 900 more characters]`);
  });

  it("asks the last allowed step for text, and does not run calls the model makes anyway", async () => {
    const { model, requests } = scriptedModel([{ calls: [lookup("c1")] }, { text: "Still checking.", calls: [lookup("c2")] }]);
    const out = await run(model, { maxSteps: 2 });
    expect(requests.map((r) => r.toolChoice)).toEqual(["auto", "none"]);
    expect(out.executed.map((c) => c.call_id)).toEqual(["c1"]);
    expect(out.result?.steps).toBe(2);
    expect(out.result?.calls.map((c) => [c.call_id, c.status])).toEqual([
      ["c1", "done"],
      ["c2", "failed"],
    ]);
    expect(out.done?.usage).toEqual({ input_tokens: 200, output_tokens: 20, estimated: false });
  });

  it("sends no tools to a model that cannot call them", async () => {
    const { model, requests } = scriptedModel([{ text: "Refunds take 5 days." }], false);
    const out = await run(model);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.tools).toBeUndefined();
    expect(requests[0]?.toolChoice).toBeUndefined();
    expect(out.text).toBe("Refunds take 5 days.");
  });

  it("reports the tokens of earlier steps on the error of a later step that fails", async () => {
    const { model } = scriptedModel([{ calls: [lookup("c1")], usage: { input_tokens: 120, output_tokens: 15 } }, { fail: "overloaded" }]);
    const out = await run(model);
    expect(out.error).toBeInstanceOf(ModelError);
    expect(out.error).toMatchObject({ kind: "overloaded", retryable: true, usage: { input_tokens: 120, output_tokens: 15, estimated: false } });
  });

  it("stops with an aborted error when the answer is stopped while a tool runs", async () => {
    const { model, requests } = scriptedModel([{ calls: [lookup("c1")] }, { text: "never asked" }]);
    const controller = new AbortController();
    const out = await run(model, {
      request: sampleRequest("Where is my order?", { signal: controller.signal }),
      execute: () => {
        setTimeout(() => controller.abort(), 10);
        return new Promise(() => {});
      },
    });
    expect(out.error).toMatchObject({ kind: "aborted", usage: { input_tokens: 100, output_tokens: 10 } });
    expect(requests).toHaveLength(1);
  });
});

describe("tool loop through the OpenAI adapter and the fake server", () => {
  it("calls, sends the result back in the provider's format, and meters both steps", async () => {
    const fake = fakeScenario("scripted");
    await fake.script(
      { tool_calls: [{ id: "call_x1", name: "lookup_order", arguments: '{"order_id":"A-1001"}' }], output_tokens: 14 },
      { text: "Order A-1001 shipped and arrives Thursday.", output_tokens: 9 },
    );
    const model = new OpenAIChatModel({ apiKey: "sk-test", baseURL: fake.openaiBaseURL, model: "gpt-4o-mini", timeoutMs: 2_000 });
    const out = await run(model);
    expect(out.error).toBeUndefined();
    expect(out.text).toBe("Order A-1001 shipped and arrives Thursday.");
    expect(out.done).toMatchObject({ model: "openai:gpt-4o-mini", usage: { input_tokens: 114, output_tokens: 23, estimated: false }, finish_reason: "stop" });
    expect(out.events.map((e) => e.status)).toEqual(["running", "done"]);
    const sent = await fake.requests();
    expect(sent).toHaveLength(2);
    const second = sent[1]?.body as { messages: unknown[]; tool_choice?: string; tools?: unknown[] };
    expect(second.tools).toHaveLength(2);
    expect(second.tool_choice).toBe("auto");
    expect(second.messages.slice(3)).toEqual([
      { role: "assistant", content: null, tool_calls: [{ id: "call_x1", type: "function", function: { name: "lookup_order", arguments: '{"order_id":"A-1001"}' } }] },
      { role: "tool", tool_call_id: "call_x1", content: '{"order_id":"A-1001","status":"shipped","arrives":"Thursday"}' },
    ]);
  });
});
