import { env } from "cloudflare:workers";
import type { RecordedRequest, ScriptedTurn } from "./fake-llm-server";
import type { ChatChunk, ChatRequest, Passage, ToolCall, ToolChatChunk, ToolSpec } from "../src/llm/chat-model";
import { ModelError } from "../src/llm/model-error";

/**
 * Helpers for the model tests (`workers/src/llm/*.test.ts`): scenarios on the fake LLM
 * server started by `workers/test/global-setup.ts`, a sample request, and stream collection.
 */

/** Base URLs that make the fake play `steps` for one fresh scenario, and what it received. */
export function fakeScenario(...steps: string[]) {
  const id = crypto.randomUUID();
  const root = `${env.LLM_FAKE_URL}/${id}/${steps.join(",")}`;
  return {
    /** For the OpenAI SDK, which appends `/chat/completions`. */
    openaiBaseURL: `${root}/v1`,
    /** For the Anthropic SDK, which appends `/v1/messages`. */
    anthropicBaseURL: root,
    /** Queues turns the scenario's `scripted` steps play, in order (text and tool calls). */
    async script(...turns: ScriptedTurn[]): Promise<void> {
      const res = await fetch(`${env.LLM_FAKE_URL}/${id}/script`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ turns }),
      });
      if (!res.ok) throw new Error(`scripting the fake failed: ${res.status} ${await res.text()}`);
    },
    /** The requests this scenario has received so far. */
    async requests(): Promise<RecordedRequest[]> {
      const res = await fetch(`${env.LLM_FAKE_URL}/${id}/log`);
      return (await res.json()) as RecordedRequest[];
    },
  };
}

/** Help-article passages about refunds, shipping and accounts. */
export const PASSAGES: Passage[] = [
  {
    chunk_id: "chk_refunds",
    document_id: "doc_refunds",
    title: "Refund policy",
    content:
      "## Refunds\n\nRefunds are processed within 5 business days after we receive the item. " +
      "The money goes back to the original payment method.\n\nHow do I ask for a refund?\n" +
      "Open the Orders page and choose Request refund next to the item.",
    score: 0.92,
  },
  {
    chunk_id: "chk_shipping",
    document_id: "doc_shipping",
    title: "Shipping",
    content:
      "We ship to every country in the EU and to the United States. " +
      "Standard shipping takes 3 to 7 days. Express shipping arrives the next business day.",
    score: 0.61,
  },
  {
    chunk_id: "chk_account",
    document_id: "doc_account",
    title: "Your account",
    content: "You can change your email address in Settings. Two-factor authentication is available for every account.",
    score: 0.4,
  },
];

/** A request for `question` over PASSAGES, with a prompt built the usual way. */
export function sampleRequest(question: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    messages: [
      { role: "system", content: "You are Acme's friendly support assistant. Answer from the context only." },
      { role: "system", content: `Context:\n${PASSAGES.map((p, i) => `[${i + 1}] ${p.content}`).join("\n")}` },
      { role: "user", content: question },
    ],
    question,
    passages: PASSAGES,
    ...extra,
  };
}

/** Tools of a shop's support assistant: one that reads, one that changes an order. */
export const ORDER_TOOLS: ToolSpec[] = [
  {
    name: "lookup_order",
    description: "Look up an order's status and delivery date by its number.",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string", description: "The order number, e.g. A-1001" } },
      required: ["order_id"],
    },
  },
  {
    name: "cancel_order",
    description: "Cancel an order that has not shipped yet.",
    parameters: {
      type: "object",
      properties: { order_id: { type: "string" }, reason: { type: "string" } },
      required: ["order_id"],
    },
  },
];

/** `sampleRequest` with ORDER_TOOLS. */
export function toolRequest(question: string, extra: Partial<ChatRequest> = {}): ChatRequest {
  return sampleRequest(question, { tools: ORDER_TOOLS, ...extra });
}

/** What a stream produced: its deltas, tool calls, done chunk, or the ModelError it ended with. */
export interface Collected {
  deltas: string[];
  text: string;
  calls: ToolCall[];
  /** Chunk types in the order they came (`delta`, `tool_call`, `done`). */
  order: ToolChatChunk["type"][];
  done?: Extract<ChatChunk, { type: "done" }>;
  error?: ModelError;
}

/** Reads `stream` to its end; `onDelta` may act between deltas (e.g. abort). */
export async function collect(stream: AsyncIterable<ToolChatChunk>, onDelta?: (count: number) => void): Promise<Collected> {
  const out: Collected = { deltas: [], text: "", calls: [], order: [] };
  try {
    for await (const chunk of stream) {
      out.order.push(chunk.type);
      if (chunk.type === "delta") {
        out.deltas.push(chunk.text);
        out.text += chunk.text;
        onDelta?.(out.deltas.length);
      } else if (chunk.type === "tool_call") {
        out.calls.push(chunk.call);
      } else {
        out.done = chunk;
      }
    }
  } catch (err) {
    if (!(err instanceof ModelError)) throw err;
    out.error = err;
  }
  return out;
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
