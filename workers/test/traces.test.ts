import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { addKnowledge, openSocket, SHOP_ARTICLES } from "./conversation-helpers";
import type { RecordedRequest } from "./fake-llm-server";
import { call, createAssistant, signUp } from "./helpers";

/**
 * W3C trace context through the real stack: an API request's `traceparent` (kept when
 * well-formed, replaced when not), and a visitor message's one trace across the Worker, the
 * conversation object, the knowledge index object, the model provider's HTTP call (the fake
 * OpenAI server records the header it received) and the analytics queue consumer. Log lines are
 * read from the console, where the logger writes them.
 */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;
const SHOP = "https://shop.example.com";
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
const hex = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, "0")).join("");

/** Every JSON log line written to the console while a test runs. */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  const capture = (...args: unknown[]) => {
    for (const a of args) {
      if (typeof a !== "string" || !a.startsWith("{")) continue;
      try {
        lines.push(JSON.parse(a) as Record<string, unknown>);
      } catch {
        // not one of ours
      }
    }
  };
  for (const level of ["log", "info", "warn", "error"] as const) vi.spyOn(console, level).mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

const linesOf = (traceId: string) => lines.filter((l) => l.trace_id === traceId);

describe("traceparent on API requests", () => {
  it("keeps a caller's trace id with a new span id, and answers with it", async () => {
    const traceId = hex(16);
    const parent = hex(8);
    const res = await call("GET", "/healthz", { headers: { traceparent: `00-${traceId}-${parent}-01` } });
    const answered = TRACEPARENT.exec(res.headers.get("traceparent") ?? "");
    expect(answered?.[1]).toBe(traceId);
    expect(answered?.[2]).not.toBe(parent);
    const access = lines.find((l) => l.msg === "request" && l.path === "/healthz" && l.trace_id === traceId);
    expect(access?.span_id).toBe(answered?.[2]);
  });

  it("writes the access line unless ACCESS_LOG is off, and serves the request either way", async () => {
    const served = async (vars: Partial<Env>) => {
      const traceId = hex(16);
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request("http://api.test/healthz", { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } }), { ...env, ...vars }, ctx);
      await waitOnExecutionContext(ctx);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-request-id")).toMatch(/^req_/);
      return linesOf(traceId).filter((l) => l.msg === "request");
    };
    expect(await served({})).toHaveLength(1);
    expect(await served({ ACCESS_LOG: "on" })).toHaveLength(1);
    expect(await served({ ACCESS_LOG: "off" })).toEqual([]);
    expect(await served({ ACCESS_LOG: " OFF " })).toEqual([]);
  });

  it.each([
    ["an unknown version", (t: string, p: string) => `01-${t}-${p}-01`],
    ["upper-case hex", (t: string, p: string) => `00-${t.toUpperCase()}-${p}-01`],
    ["a short trace id", (t: string, p: string) => `00-${t.slice(2)}-${p}-01`],
    ["an all-zero trace id", (_t: string, p: string) => `00-${"0".repeat(32)}-${p}-01`],
    ["an all-zero parent id", (t: string) => `00-${t}-${"0".repeat(16)}-01`],
    ["extra fields", (t: string, p: string) => `00-${t}-${p}-01-extra`],
  ])("ignores a malformed header (%s) and starts a new trace", async (_name, make) => {
    const traceId = hex(16);
    const res = await call("GET", "/healthz", { headers: { traceparent: make(traceId, hex(8)) } });
    const answered = TRACEPARENT.exec(res.headers.get("traceparent") ?? "");
    expect(answered).not.toBeNull();
    expect(answered?.[1]).not.toBe(traceId);
    expect(linesOf(traceId)).toEqual([]);
  });

  it("gives every request without one a trace of its own", async () => {
    const a = await call("GET", "/healthz");
    const b = await call("GET", "/healthz");
    const [ta, tb] = [a, b].map((r) => TRACEPARENT.exec(r.headers.get("traceparent") ?? "")?.[1]);
    expect(ta).toBeTruthy();
    expect(tb).toBeTruthy();
    expect(ta).not.toBe(tb);
  });
});

/** A shop whose assistant answers with the OpenAI provider (the fake), playing `script`'s turns. */
async function openAiShop(script: string) {
  const s = await signUp("Traced");
  const assistant = await createAssistant(s.access_token, {
    allowed_origins: [SHOP],
    escalation_threshold: 0,
    model_policy: { primary: "openai:gpt-test" },
    system_prompt: `You help shoppers. [[fake-script:${script}]]`,
  });
  await addKnowledge(s.workspace.id, assistant.id, SHOP_ARTICLES);
  const key = await call("POST", "/api/v1/api-keys", { token: s.access_token, body: { name: "widget", type: "publishable", assistant_id: assistant.id } });
  const conv = await call("POST", "/api/v1/conversations", {
    token: key.body.key,
    headers: { origin: SHOP },
    body: { assistant_id: assistant.id, visitor_id: `v-${uniq()}`, channel: "web" },
  });
  expect(conv.status).toBe(201);
  return { id: conv.body.conversation_id as string, token: conv.body.token as string };
}

async function scriptTurns(name: string, texts: string[]) {
  const res = await fetch(`${env.LLM_FAKE_URL}/${name}/script`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ turns: texts.map((text) => ({ text })) }),
  });
  expect(res.status).toBe(204);
}

async function modelRequests(name: string): Promise<RecordedRequest[]> {
  return (await (await fetch(`${env.LLM_FAKE_URL}/${name}/log`)).json()) as RecordedRequest[];
}

describe("a visitor message's trace", () => {
  it("reaches the conversation object, the knowledge index, the model call and the analytics consumer", async () => {
    const script = `trace-rest-${uniq()}`;
    await scriptTurns(script, ["Standard shipping takes 3 to 5 business days [1]."]);
    const conv = await openAiShop(script);
    const traceId = hex(16);
    const sent = await call("POST", `/api/v1/conversations/${conv.id}/messages`, {
      token: conv.token,
      headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
      body: { content: "How long does shipping take?" },
    });
    expect(sent.status).toBe(200);
    expect(TRACEPARENT.exec(sent.headers.get("traceparent") ?? "")?.[1]).toBe(traceId);

    // The Worker's access line, the conversation object's lines, the knowledge index's line.
    const traced = linesOf(traceId);
    expect(traced.some((l) => l.msg === "request" && typeof l.request_id === "string")).toBe(true);
    expect(traced.some((l) => l.component === "conversation" && l.msg === "visitor message stored" && l.conversation_id === conv.id)).toBe(true);
    expect(traced.some((l) => l.component === "conversation" && l.msg === "answer finished")).toBe(true);
    expect(traced.some((l) => l.component === "knowledge.index" && l.msg === "searched for an answer")).toBe(true);
    for (const l of traced) expect(l.span_id).toMatch(/^[0-9a-f]{16}$/);

    // The model provider received the same trace id.
    const requests = await modelRequests(script);
    expect(requests).toHaveLength(1);
    expect(TRACEPARENT.exec(requests[0]?.headers.traceparent ?? "")?.[1]).toBe(traceId);

    // The analytics consumer handles the message's events in the same trace.
    await expect
      .poll(() => linesOf(traceId).some((l) => typeof l.queue === "string" && String(l.queue).endsWith("-analytics") && l.msg === "analytics events written"), {
        timeout: 20_000,
        interval: 100,
      })
      .toBe(true);
  });

  it("is new for each message over the WebSocket, and shared by the message and its answer", async () => {
    const script = `trace-ws-${uniq()}`;
    await scriptTurns(script, ["Standard shipping takes 3 to 5 business days [1].", "Refunds take 5 business days [1]."]);
    const conv = await openAiShop(script);
    const ws = await openSocket(conv.id, conv.token);
    try {
      for (const content of ["How long does shipping take?", "When do refunds arrive?"]) {
        const from = ws.events.length;
        ws.send({ type: "message", content, client_id: `c-${uniq()}` });
        await ws.waitFor((e) => e.type === "response", { from, timeoutMs: 20_000 });
      }
    } finally {
      ws.close();
    }
    const stored = lines.filter((l) => l.msg === "visitor message stored" && l.conversation_id === conv.id);
    expect(stored).toHaveLength(2);
    const [first, second] = stored.map((l) => l.trace_id as string);
    expect(first).toMatch(/^[0-9a-f]{32}$/);
    expect(second).toMatch(/^[0-9a-f]{32}$/);
    expect(first).not.toBe(second);
    for (const traceId of [first!, second!]) {
      expect(linesOf(traceId).some((l) => l.msg === "answer finished")).toBe(true);
    }
    const sentTraces = (await modelRequests(script)).map((r) => TRACEPARENT.exec(r.headers.traceparent ?? "")?.[1]);
    expect(sentTraces).toEqual([first, second]);
  });
});
