/**
 * W3C trace context (https://www.w3.org/TR/trace-context/): one trace id per unit of work (an
 * API request, a visitor's message), carried across the Worker, the Durable Objects, the
 * queues and the model providers as a `traceparent` value, and held for the code running that
 * work in an AsyncLocalStorage, so every log line (`logger.ts`) and outgoing call can read it.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The trace a piece of work belongs to and the span it is. */
export interface TraceContext {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: this span's id, the parent id of calls it makes. */
  spanId: string;
  /** 2 hex digits; bit 0 is "sampled". */
  flags: string;
}

/** The header (and queue body field) that carries a trace: `00-<trace id>-<parent id>-<flags>`. */
export const TRACEPARENT = "traceparent";

/** Version 00 exactly, lowercase hex, nothing after the flags (a version 00 header has no more fields). */
const TRACEPARENT_PATTERN = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);
const SAMPLED = "01"; // traces we start are recorded: the platform samples on its own side

const storage = new AsyncLocalStorage<TraceContext>();

function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

function newSpanId(): string {
  for (;;) {
    const id = randomHex(8);
    if (id !== ZERO_SPAN_ID) return id;
  }
}

/**
 * The trace a `traceparent` value names, with its parent id as `spanId`; null for anything that
 * is not a well-formed version 00 value (the spec's all-zero ids are invalid too).
 */
export function parseTraceparent(value: string | null | undefined): TraceContext | null {
  if (!value) return null;
  const match = TRACEPARENT_PATTERN.exec(value.trim());
  if (!match) return null;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return null;
  return { traceId, spanId, flags };
}

/** The `traceparent` value of `trace`: its span is the parent of whoever receives it. */
export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/** A new trace, for work that arrives without one. */
export function newTrace(): TraceContext {
  let traceId = randomHex(16);
  while (traceId === ZERO_TRACE_ID) traceId = randomHex(16);
  return { traceId, spanId: newSpanId(), flags: SAMPLED };
}

/** A new span of `parent`'s trace, for work it caused. */
export function childSpan(parent: TraceContext): TraceContext {
  return { traceId: parent.traceId, spanId: newSpanId(), flags: parent.flags };
}

/** A span continuing the trace of a received `traceparent`, or a new trace when it is absent or malformed. */
export function continueTrace(traceparent: string | null | undefined): TraceContext {
  const parent = parseTraceparent(traceparent);
  return parent ? childSpan(parent) : newTrace();
}

/** Runs `work` as part of `trace`: its logs and outgoing calls carry it. */
export function runInTrace<T>(trace: TraceContext, work: () => T): T {
  return storage.run(trace, work);
}

/** The trace of the work running now, if any. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** The `traceparent` of the work running now, if any: for queue bodies and RPC arguments. */
export function currentTraceparent(): string | undefined {
  const trace = storage.getStore();
  return trace ? formatTraceparent(trace) : undefined;
}

/** `body` with the current `traceparent` added (unchanged outside a trace), for a queue message. */
export function withTraceparent<T extends object>(body: T): T & { traceparent?: string } {
  const traceparent = currentTraceparent();
  return traceparent ? { ...body, traceparent } : body;
}

/** The trace a queue message's body carries on: a child span of its `traceparent`, or a new trace. */
export function traceOfMessage(body: unknown): TraceContext {
  const value = body && typeof body === "object" ? (body as { traceparent?: unknown }).traceparent : undefined;
  return continueTrace(typeof value === "string" ? value : null);
}

/**
 * `fetch` that sends the current trace's `traceparent` with every request (unless the caller set
 * one): handed to the model providers' SDKs so their HTTP calls join the visitor message's trace.
 */
export const tracedFetch: typeof fetch = (input, init) => {
  const traceparent = currentTraceparent();
  if (!traceparent) return fetch(input, init);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has(TRACEPARENT)) headers.set(TRACEPARENT, traceparent);
  return fetch(input, { ...init, headers });
};
