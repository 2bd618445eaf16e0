/**
 * Stand-ins for the widget's unit tests: a WebSocket the test drives frame by frame, the
 * platform's REST API speaking its real shapes, and an in-memory Storage.
 */
import { render } from "preact";
import { afterEach, beforeAll, beforeEach } from "vitest";
import type { MessageView, SocketEvent } from "../../schema/protocol";
import { rich } from "../src/app/rich";
import { ChatSession, type SessionOptions } from "../src/app/session";
import { attach, Files } from "../src/rich/attach";
import { Body } from "../src/rich/body";
import { Restart, spoken, Typing } from "../src/rich/extras";
import { Rating } from "../src/rich/rating";
import { Tools } from "../src/rich/tools";
import type { WidgetConfig } from "../src/shared/types";

/** A WebSocket whose server side is the test. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  /** Frames the client sent, parsed. */
  sent: Record<string, unknown>[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: string }) => void) | null = null;
  onclose: ((e: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code: 1000 });
  }

  /** The server accepts the connection. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server sends an event. */
  emit(event: SocketEvent): void {
    this.onmessage?.({ data: JSON.stringify(event) });
  }

  /** The network drops the connection. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006 });
  }

  /** Frames of one type the client sent. */
  frames(type: string): Record<string, unknown>[] {
    return this.sent.filter((f) => f.type === type);
  }

  static last(): FakeSocket {
    const s = FakeSocket.all.at(-1);
    if (!s) throw new Error("no socket was opened");
    return s;
  }
}

/** Storage in memory (the shape of localStorage). */
export class MemoryStorage implements Storage {
  #data = new Map<string, string>();
  get length() {
    return this.#data.size;
  }
  clear(): void {
    this.#data.clear();
  }
  getItem(key: string): string | null {
    return this.#data.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#data.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.#data.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#data.set(key, value);
  }
}

/** A recorded API call. */
export interface Call {
  method: string;
  path: string;
  auth: string | null;
  body: unknown;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Route = (call: Call) => Reply | undefined;

/** The platform's REST API: conversations, tokens, history; routes can be overridden per test. */
export class FakeApi {
  calls: Call[] = [];
  history: MessageView[] = [];
  conversations = 0;
  routes: Route[] = [];
  /** When true every request fails like a network error. */
  offline = false;

  fetch = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    if (this.offline) throw new TypeError("Failed to fetch");
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    const body = typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : (init.body ?? null);
    const call: Call = { method: init.method ?? "GET", path: url.pathname + url.search, auth: headers.get("authorization"), body };
    this.calls.push(call);
    const reply = this.routes.map((r) => r(call)).find(Boolean) ?? this.#default(call);
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { "content-type": "application/json", ...reply.headers },
    });
  };

  #default(call: Call): Reply {
    if (call.method === "POST" && call.path === "/api/v1/conversations") {
      this.conversations++;
      const id = `conv_test000000000${this.conversations}`;
      return {
        status: 201,
        body: { conversation_id: id, token: `token-${this.conversations}`, token_expires_at: new Date(Date.now() + 7_200_000).toISOString(), ws_url: `ws://api.test/api/v1/conversations/${id}/ws`, status: "active" },
      };
    }
    if (call.method === "POST" && /\/token$/.test(call.path)) {
      return { status: 200, body: { token: "token-renewed", token_expires_at: new Date(Date.now() + 7_200_000).toISOString(), ws_url: "ws://api.test/renewed/ws" } };
    }
    if (call.method === "GET" && /\/messages/.test(call.path)) return { status: 200, body: { data: this.history, next_cursor: null } };
    if (call.method === "POST" && /\/satisfaction$/.test(call.path)) return { status: 200, body: {} };
    return { status: 404, body: { error: { code: "not_found", message: "no route" } } };
  }

  count(method: string, pattern: RegExp): number {
    return this.calls.filter((c) => c.method === method && pattern.test(c.path)).length;
  }
}

/** A message as the API shows it. */
export function view(partial: Partial<MessageView> & Pick<MessageView, "id" | "seq" | "sender_type" | "content">): MessageView {
  return {
    conversation_id: "conv_test0000000001",
    sender_id: null,
    sender_name: null,
    status: "complete",
    sources: [],
    confidence: null,
    tokens_used: 0,
    latency_ms: null,
    cost_usd: 0,
    model: null,
    client_id: null,
    language: "en",
    created_at: "2026-11-26T00:00:00.000Z",
    ...partial,
  };
}

/** A window-like event target for storage/online/offline events. */
export class FakeWindow extends EventTarget {}

/** A session wired to the fakes. */
export function testSession(overrides: Partial<SessionOptions> & { api?: FakeApi; local?: Storage; tab?: Storage } = {}) {
  const api = overrides.api ?? new FakeApi();
  const local = overrides.local ?? new MemoryStorage();
  const tab = overrides.tab ?? new MemoryStorage();
  const events = new FakeWindow();
  const session = new ChatSession({
    apiBase: "http://api.test",
    assistantId: "ast_test00000000",
    publishableKey: "pk_live_test",
    local,
    session: tab,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    fetch: api.fetch as typeof fetch,
    random: () => 0.5,
    events: events as unknown as Window,
    ...overrides,
  });
  return { session, api, local, tab, events };
}

/** Lets pending promises and microtasks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}

/** A widget configuration as the loader hands it to the app. */
export const TEST_CONFIG: WidgetConfig = {
  assistantId: "ast_test00000000",
  publishableKey: "pk_live_test",
  position: "bottom-right",
  locale: "en",
  rtl: false,
  openOnLoad: false,
  launcherHidden: false,
  theme: { primary: "#2557d6", onPrimary: "#ffffff", accent: "#2557d6" },
  apiBase: "http://api.test",
  title: null,
  greeting: null,
  avatarUrl: null,
};

/**
 * For tests that render the panel: the lazily loaded rich components in place, no sockets left
 * from the test before, and a fresh container in the document for each test, emptied after it.
 */
export function panelPage(): { container: HTMLElement } {
  const page = { container: document.createElement("div") };
  beforeAll(() => {
    rich.value = { Body, Files, attach, Rating, Restart, Typing, Tools, spoken, css: "" };
  });
  beforeEach(() => {
    FakeSocket.all = [];
    page.container = document.createElement("div");
    document.body.append(page.container);
  });
  afterEach(() => {
    render(null, page.container);
    page.container.remove();
  });
  return page;
}
