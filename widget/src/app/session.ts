/**
 * The protocol client: one visitor's conversation with the platform, as signals the UI reads.
 *
 * - The conversation is created when the visitor first sends something (an open widget costs
 *   the server nothing), and remembered across page loads and tabs (see `storage.ts`).
 * - History comes from `GET …/messages`; live events from the WebSocket, which reconnects with
 *   jittered exponential backoff and asks the server to `resume` after the last message it has
 *   in full, so a half-streamed answer is replayed from its first delta.
 * - Every message gets a `client_id` and stays in the outbox until the server acknowledges it;
 *   after a reconnect it is sent again with the same id, which the server stores only once.
 */
import { batch, computed, signal } from "@preact/signals";
import type { MessageStatus, MessageView, SenderType, ServerEvent, Source } from "../../../workers/src/conversation/protocol";
import type { VisitorIdentity, WidgetEvent } from "../shared/types";
import { randomId, WidgetStorage, type OutboxEntry, type SharedState, type StoredConversation } from "./storage";

/** First reconnect delay; each failure doubles it up to the cap. */
export const RECONNECT_BASE_MS = 500;
export const RECONNECT_MAX_MS = 30_000;
/** Failed attempts before the visitor is told the service cannot be reached. */
export const UNREACHABLE_AFTER_ATTEMPTS = 2;
/** Pings keep proxies from closing an idle socket and reveal a dead one. */
export const PING_INTERVAL_MS = 25_000;
/** No frame this long after a ping or a send: the socket is dead, open a new one. */
export const SILENCE_TIMEOUT_MS = 10_000;
/** A conversation token this close to expiry is renewed before connecting. */
/** A Retry-After longer than this means a quota, not a burst: stop retrying and tell the visitor. */
const BUSY_AFTER_S = 60;
const TOKEN_RENEW_MARGIN_MS = 60_000;
/** A "typing" indicator without follow-up disappears after this. */
const TYPING_TIMEOUT_MS = 8_000;
/** Visitor typing is forwarded to agents at most this often. */
const TYPING_THROTTLE_MS = 3_000;
/** An agent's reply this recent is repeated in the "joined" announcement. */
const JOIN_WORDS_WINDOW_MS = 3_000;
const HISTORY_PAGE = 100;
const HISTORY_MAX_PAGES = 20; // 2,000 messages: more than any support chat
/** A message as the widget shows it. */
export interface ChatMessage {
  /** Stable across the message's life: the client id of the visitor's own sends, else the id. */
  key: string;
  id: string | null;
  clientId: string | null;
  seq: number | null;
  sender: SenderType;
  content: string;
  /** Visitor sends: sending → sent, or failed. Answers: streaming → complete, stopped or failed. */
  status: "sending" | "sent" | MessageStatus;
  sources: Source[];
  /** A human agent's display name, when they have one. */
  name?: string | null;
  /** Deltas by their `seq`: a replayed delta lands on its own slot, never twice. */
  chunks?: string[];
}

/** An uploaded file, as the API describes it. */
export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
}

/** The connection as the visitor perceives it. */
export type LinkState = "idle" | "connecting" | "open" | "down";

/** What a session needs from its surroundings (tests pass fakes). */
export interface SessionOptions {
  apiBase: string;
  assistantId: string;
  publishableKey: string;
  local?: Storage | null;
  session?: Storage | null;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  random?: () => number;
  /** Receives storage, online and offline events; `window` in the browser. */
  events?: Pick<Window, "addEventListener" | "removeEventListener"> | null;
  isOnline?: () => boolean;
  onEvent?: (event: WidgetEvent, detail?: unknown) => void;
}

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter". */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RECONNECT_MAX_MS, RECONNECT_BASE_MS * 2 ** attempt);
  return ceiling / 2 + random() * (ceiling / 2);
}

/** A refusal from the API: its status, error code and `Retry-After`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly retryAfterS: number | null,
  ) {
    super(`${status} ${code}`);
  }
}

function fromView(m: MessageView): ChatMessage {
  return {
    key: m.client_id ?? m.id,
    id: m.id,
    clientId: m.client_id,
    seq: m.seq,
    sender: m.sender_type,
    content: m.content,
    status: m.sender_type === "visitor" ? "sent" : m.status,
    sources: m.sources ?? [],
    name: m.sender_name ?? null,
  };
}

/** One visitor's conversation: state as signals, actions as methods. */
export class ChatSession {
  readonly messages = signal<ChatMessage[]>([]);
  readonly link = signal<LinkState>("idle");
  readonly unreachable = signal(false);
  readonly online = signal(true);
  /** The widget cannot work here (unknown key, origin not allowed): no retry will help. */
  readonly unavailable = signal(false);
  /** The service refuses new chats for now (the business reached a plan limit): try later. */
  readonly busy = signal(false);
  /**
   * The service refused a message (`rate_limited`): `wait` when the visitor sent faster than it
   * answers (a moment's pause helps), `later` when it answers nothing for a long while.
   */
  readonly rateLimited = signal<"wait" | "later" | null>(null);
  readonly status = signal<"active" | "resolved" | "escalated">("active");
  readonly takeover = signal(false);
  /** The name of the person who took over, once one of their messages says it. */
  readonly agentName = signal<string | null>(null);
  readonly typing = signal<"assistant" | "human_agent" | null>(null);
  readonly rated = signal(false);
  /** The one sentence screen readers should hear now (a finished answer, an agent joining). */
  readonly announcement = signal("");
  /** Replies that arrived while the panel was closed. */
  readonly unread = signal(0);
  /** The panel is showing (set by the UI). */
  readonly visible = signal(false);
  readonly streaming = computed(() => this.messages.value.some((m) => m.status === "streaming"));
  readonly conversationId = signal<string | null>(null);

  readonly #store: WidgetStorage;
  readonly #WS: typeof WebSocket;
  readonly #http: typeof fetch;
  readonly #random: () => number;
  #conv: StoredConversation | null = null;
  #visitorId: string;
  #identity: VisitorIdentity = {};
  #outbox: OutboxEntry[];
  #ws: WebSocket | null = null;
  #attempt = 0;
  #failedOpens = 0;
  #creating: Promise<StoredConversation> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #silenceTimer: ReturnType<typeof setTimeout> | null = null;
  #typingTimer: ReturnType<typeof setTimeout> | null = null;
  #rateLimitTimer: ReturnType<typeof setTimeout> | null = null;
  #lastTypingSent = 0;
  #knownTakeover: boolean | null = null;
  /** An agent's last reply: the status saying they took over follows it, and one sentence says both. */
  #agentWords: { content: string; at: number } | null = null;
  #stopped = false;
  readonly #cleanups: (() => void)[] = [];
  readonly #opts: SessionOptions;

  constructor(opts: SessionOptions) {
    this.#opts = opts;
    this.#store = new WidgetStorage(opts.assistantId, opts.local ?? null, opts.session ?? null);
    this.#WS = opts.WebSocket ?? WebSocket;
    this.#http = opts.fetch ?? ((...a) => fetch(...a));
    this.#random = opts.random ?? Math.random;
    const shared = this.#store.shared();
    this.#visitorId = shared.visitorId ?? randomId("v_");
    this.#conv = shared.conversation;
    this.#outbox = this.#store.outbox();
    this.online.value = opts.isOnline?.() ?? true;
  }

  /** Restores the remembered conversation (history, then live events) and starts listening. */
  async start(): Promise<void> {
    this.#saveShared();
    this.#cleanups.push(this.#store.watch(this.#opts.events ?? null, (s) => this.#adopt(s)));
    const ev = this.#opts.events;
    if (ev) {
      const online = () => {
        this.online.value = true;
        this.reconnectNow();
      };
      const offline = () => (this.online.value = false);
      ev.addEventListener("online", online);
      ev.addEventListener("offline", offline);
      this.#cleanups.push(() => ev.removeEventListener("online", online), () => ev.removeEventListener("offline", offline));
    }
    this.rated.value = this.#conv?.rated ?? false;
    this.conversationId.value = this.#conv?.id ?? null;
    this.messages.value = this.#outbox.map((o) => this.#pendingMessage(o));
    if (this.#conv) {
      await this.#loadHistory();
      this.#connect();
    } else if (this.#outbox.length) {
      this.#kick();
    }
  }

  /** Sends a message (with attachments as Markdown links); it is queued until acknowledged. */
  send(text: string, attachments: Attachment[] = []): void {
    const links = attachments.map((a) => `[${a.filename.replace(/[[\]\\]/g, "")}](${a.url})`);
    const content = [text.trim(), links.join("\n")].filter(Boolean).join("\n\n");
    if (!content) return;
    const entry: OutboxEntry = { clientId: randomId("c_"), content };
    this.#outbox.push(entry);
    this.#store.saveOutbox(this.#outbox);
    this.messages.value = [...this.messages.value, this.#pendingMessage(entry)];
    this.#kick();
    this.#flush();
  }

  /** Sends a failed message again, with its original client id (never stored twice). */
  retry(key: string): void {
    const m = this.messages.value.find((x) => x.key === key);
    if (!m || m.status !== "failed" || m.sender !== "visitor" || !m.clientId) return;
    this.unavailable.value = false;
    this.busy.value = false;
    this.#clearRateLimit();
    this.#outbox.push({ clientId: m.clientId, content: m.content });
    this.#store.saveOutbox(this.#outbox);
    this.#update(key, { status: "sending" });
    this.#kick();
    this.#flush();
  }

  /** Asks the server to stop the answer being generated. */
  stop(): void {
    this.#frame({ type: "stop" });
  }

  /** Tells agents the visitor is typing (throttled). */
  typingNow(): void {
    const now = Date.now();
    if (now - this.#lastTypingSent < TYPING_THROTTLE_MS) return;
    this.#lastTypingSent = now;
    this.#frame({ type: "typing" });
  }

  /** Leaves the current conversation; the next message starts a new one. */
  newConversation(): void {
    this.#closeSocket();
    this.#conv = null;
    this.#outbox = [];
    this.#store.saveOutbox([]);
    this.#saveShared();
    this.#reset();
  }

  /** Who the visitor is; another visitor id than the current one starts a fresh conversation. */
  identify(who: VisitorIdentity): void {
    this.#identity = { ...this.#identity, ...who };
    const id = who.visitor_id?.trim();
    if (id && id !== this.#visitorId) {
      this.#visitorId = id;
      if (this.#conv && this.#conv.visitorId !== id) this.newConversation();
      else this.#saveShared();
    }
  }

  /** The visitor rated this conversation (remembered across tabs and page loads). */
  markRated(): void {
    if (this.#conv) this.#conv.rated = true;
    this.rated.value = true;
    this.#saveShared();
  }

  /** Calls a route of the conversation (`/conversations/:id…`) with its token, creating it if needed. */
  async conversationCall(method: string, path: string, opts: { body?: unknown; form?: FormData } = {}): Promise<unknown> {
    const conv = await this.#ensureConversation();
    return this.#api(method, `/conversations/${conv.id}${path}`, { ...opts, token: conv.token });
  }

  /** Where this conversation's attachments live, and the token that reads them. */
  attachmentAccess(): { prefix: string; token: string } | null {
    const conv = this.#conv;
    return conv && { prefix: `${this.#opts.apiBase}/api/v1/conversations/${conv.id}/attachments/`, token: conv.token };
  }

  /** Stops everything: sockets, timers, listeners. */
  destroy(): void {
    this.#stopped = true;
    this.#closeSocket();
    this.#clearRetry();
    if (this.#rateLimitTimer !== null) clearTimeout(this.#rateLimitTimer);
    for (const fn of this.#cleanups.splice(0)) fn();
  }

  /** The panel was shown or hidden. */
  setVisible(visible: boolean): void {
    this.visible.value = visible;
    if (visible) this.unread.value = 0;
  }

  // ---- conversation and history ---------------------------------------------------------

  #pendingMessage(o: OutboxEntry): ChatMessage {
    return { key: o.clientId, id: null, clientId: o.clientId, seq: null, sender: "visitor", content: o.content, status: "sending", sources: [] };
  }

  #reset(): void {
    batch(() => {
      this.messages.value = this.#outbox.map((o) => this.#pendingMessage(o));
      this.status.value = "active";
      this.takeover.value = false;
      this.typing.value = null;
      this.rated.value = this.#conv?.rated ?? false;
      this.unread.value = 0;
      this.conversationId.value = this.#conv?.id ?? null;
      this.link.value = "idle";
      this.unreachable.value = false;
    });
    this.#knownTakeover = null;
  }

  #saveShared(): void {
    this.#store.saveShared({ visitorId: this.#visitorId, conversation: this.#conv });
  }

  /** Another tab changed the shared state: follow it. */
  #adopt(s: SharedState): void {
    if (s.visitorId) this.#visitorId = s.visitorId;
    const next = s.conversation;
    if (next?.id === this.#conv?.id) {
      if (next && this.#conv) Object.assign(this.#conv, next);
      this.rated.value = this.#conv?.rated ?? false;
      return;
    }
    this.#closeSocket();
    this.#conv = next;
    this.#reset();
    if (next) void this.#loadHistory().then(() => this.#connect());
  }

  async #api(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; form?: FormData } = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? this.#opts.publishableKey}` };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const res = await this.#http(`${this.#opts.apiBase}/api/v1${path}`, {
      method,
      headers,
      body: opts.form ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
    });
    const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
    if (!res.ok) {
      const retry = Number(res.headers.get("retry-after"));
      throw new HttpError(res.status, body?.error?.code ?? "http_error", Number.isFinite(retry) && retry > 0 ? retry : null);
    }
    return body;
  }

  /** The conversation, created on first use (one request even when called many times). */
  #ensureConversation(): Promise<StoredConversation> {
    if (this.#conv) return Promise.resolve(this.#conv);
    this.#creating ??= (async () => {
      const metadata: Record<string, string> = {};
      if (this.#identity.name) metadata.name = this.#identity.name.slice(0, 500);
      if (this.#identity.email) metadata.email = this.#identity.email.slice(0, 500);
      const created = (await this.#api("POST", "/conversations", {
        body: { assistant_id: this.#opts.assistantId, visitor_id: this.#visitorId, channel: "web", ...(Object.keys(metadata).length ? { metadata } : {}) },
      })) as { conversation_id: string; token: string; token_expires_at: string; ws_url: string };
      this.#conv = { id: created.conversation_id, token: created.token, expiresAt: created.token_expires_at, wsUrl: created.ws_url, visitorId: this.#visitorId };
      this.#saveShared();
      this.conversationId.value = this.#conv.id;
      this.#opts.onEvent?.("conversation", { conversation_id: this.#conv.id });
      this.#connect(); // whoever asked for it (a send, an upload) is about to talk
      return this.#conv;
    })().finally(() => (this.#creating = null));
    return this.#creating;
  }

  /** A fresh token for the remembered conversation; null when the conversation is gone. */
  async #renewToken(): Promise<StoredConversation | null> {
    const conv = this.#conv;
    if (!conv) return null;
    try {
      const fresh = (await this.#api("POST", `/conversations/${conv.id}/token`, { body: { visitor_id: conv.visitorId } })) as {
        token: string;
        token_expires_at: string;
        ws_url: string;
      };
      Object.assign(conv, { token: fresh.token, expiresAt: fresh.token_expires_at, wsUrl: fresh.ws_url });
      this.#saveShared();
      return conv;
    } catch (err) {
      if (err instanceof HttpError && (err.status === 404 || err.status === 401)) {
        // The conversation no longer exists (or is no longer this visitor's): start afresh.
        this.newConversation();
        return null;
      }
      throw err;
    }
  }

  async #loadHistory(): Promise<void> {
    const conv = this.#conv;
    if (!conv) return;
    const all: MessageView[] = [];
    try {
      if (Date.parse(conv.expiresAt) - Date.now() < TOKEN_RENEW_MARGIN_MS && !(await this.#renewToken())) return;
      let cursor: string | null = null;
      for (let page = 0; page < HISTORY_MAX_PAGES; page++) {
        const q: string = `?limit=${HISTORY_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = (await this.#api("GET", `/conversations/${conv.id}/messages${q}`, { token: this.#conv!.token })) as {
          data: MessageView[];
          next_cursor: string | null;
        };
        all.push(...res.data);
        cursor = res.next_cursor;
        if (!cursor) break;
      }
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) {
        this.newConversation();
        return;
      }
      // Unreachable or refused: the socket's resume (from the start) fills the transcript in.
    }
    if (this.#conv !== conv) return;
    batch(() => {
      for (const m of all) this.#upsert(m, false);
    });
  }

  // ---- the socket ------------------------------------------------------------------------

  /** Makes progress: creates the conversation when messages wait for one, else connects. */
  #kick(): void {
    if (this.#stopped || this.unavailable.value) return;
    if (this.#conv) {
      this.#connect();
      return;
    }
    if (!this.#outbox.length || this.#creating) return;
    this.link.value = "connecting";
    this.#ensureConversation().then(
      () => this.#connect(),
      (err: unknown) => {
        if (err instanceof HttpError && [400, 401, 403, 404].includes(err.status)) {
          // The key, the assistant or this page's origin is refused: retrying cannot help.
          this.unavailable.value = true;
          this.#failOutbox();
          this.#opts.onEvent?.("error", { code: err.code, status: err.status });
          return;
        }
        if (err instanceof HttpError && (err.status === 402 || (err.status === 429 && (err.retryAfterS ?? 0) > BUSY_AFTER_S))) {
          // A plan limit, not a blip: say so politely and let the visitor retry later.
          this.busy.value = true;
          this.#failOutbox();
          this.#opts.onEvent?.("error", { code: err.code, status: err.status });
          return;
        }
        this.#scheduleRetry(err instanceof HttpError ? err.retryAfterS : null);
      },
    );
  }

  #connect(): void {
    if (this.#stopped || this.#ws || !this.#conv) return;
    const conv = this.#conv;
    this.link.value = "connecting";
    const needsToken = this.#failedOpens >= 2 || Date.parse(conv.expiresAt) - Date.now() < TOKEN_RENEW_MARGIN_MS;
    if (needsToken) {
      this.#failedOpens = 0;
      this.#renewToken().then(
        (fresh) => fresh && this.#open(fresh),
        () => this.#scheduleRetry(null),
      );
      return;
    }
    this.#open(conv);
  }

  #open(conv: StoredConversation): void {
    if (this.#stopped || this.#ws || this.#conv !== conv) return;
    let ws: WebSocket;
    try {
      ws = new this.#WS(`${conv.wsUrl}?token=${encodeURIComponent(conv.token)}`);
    } catch {
      this.#scheduleRetry(null);
      return;
    }
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#attempt = 0;
      this.#failedOpens = 0;
      batch(() => {
        this.link.value = "open";
        this.unreachable.value = false;
      });
      this.#frame({ type: "resume", after: this.#resumeAfter() });
      this.#flush();
      this.#pingTimer = setInterval(() => {
        this.#frame({ type: "ping" });
        this.#expectFrame();
      }, PING_INTERVAL_MS);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.#ws !== ws) return;
      this.#clearSilence();
      try {
        this.#onEvent(JSON.parse(String(e.data)) as ServerEvent | { type: "pong" });
      } catch {
        // a frame we cannot read is skipped, the stream goes on
      }
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#stopTimers();
      if (!opened) this.#failedOpens++;
      this.typing.value = null;
      this.#scheduleRetry(null);
    };
  }

  /** The last message held in full, with everything before it: the server replays what follows. */
  #resumeAfter(): string | null {
    let after: string | null = null;
    for (const m of this.messages.value) {
      if (m.status === "streaming" || !m.id) {
        if (m.status === "streaming" || m.sender !== "visitor") break;
        continue; // our own unsent messages do not hide anything the server holds
      }
      after = m.id;
    }
    return after;
  }

  #scheduleRetry(retryAfterS: number | null): void {
    if (this.#stopped) return;
    this.#clearRetry();
    const delay = retryAfterS !== null ? retryAfterS * 1000 : backoffDelay(this.#attempt, this.#random);
    this.#attempt++;
    batch(() => {
      this.link.value = "down";
      this.unreachable.value = this.#attempt >= UNREACHABLE_AFTER_ATTEMPTS;
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#kick();
    }, delay);
  }

  /** The network is back (or the page is visible again): try at once rather than wait. */
  reconnectNow(): void {
    if (this.#ws || this.#stopped || this.#retryTimer === null) return;
    this.#clearRetry();
    this.#kick();
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #expectFrame(): void {
    if (this.#silenceTimer !== null) return;
    const ws = this.#ws;
    this.#silenceTimer = setTimeout(() => {
      this.#silenceTimer = null;
      // Silence after a ping or a send: the socket is dead even if it does not know it yet.
      if (ws && this.#ws === ws) {
        this.#ws = null;
        this.#stopTimers();
        try {
          ws.close();
        } catch {
          // already closing
        }
        this.#scheduleRetry(null);
      }
    }, SILENCE_TIMEOUT_MS);
  }

  #clearSilence(): void {
    if (this.#silenceTimer !== null) clearTimeout(this.#silenceTimer);
    this.#silenceTimer = null;
  }

  #stopTimers(): void {
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#pingTimer = null;
    this.#clearSilence();
  }

  #closeSocket(): void {
    const ws = this.#ws;
    this.#ws = null;
    this.#stopTimers();
    this.#clearRetry();
    try {
      ws?.close(1000);
    } catch {
      // already closed
    }
  }

  #frame(f: Record<string, unknown>): boolean {
    if (!this.#ws || this.#ws.readyState !== 1) return false;
    try {
      this.#ws.send(JSON.stringify(f));
      return true;
    } catch {
      return false;
    }
  }

  /** Sends every queued message (again, if need be: the client id keeps it single). */
  #flush(): void {
    if (!this.#outbox.length) return;
    let sent = false;
    for (const o of this.#outbox) sent = this.#frame({ type: "message", content: o.content, client_id: o.clientId }) || sent;
    if (sent) this.#expectFrame();
  }

  #failOutbox(): void {
    const failed = new Set(this.#outbox.map((o) => o.clientId));
    this.#outbox = [];
    this.#store.saveOutbox([]);
    this.messages.value = this.messages.value.map((m) => (m.clientId && failed.has(m.clientId) && m.status === "sending" ? { ...m, status: "failed" } : m));
  }

  // ---- server events ---------------------------------------------------------------------

  #onEvent(e: ServerEvent | { type: "pong" }): void {
    switch (e.type) {
      case "status": {
        batch(() => {
          this.status.value = e.status;
          this.takeover.value = e.human_takeover;
        });
        if (e.human_takeover && this.#knownTakeover === false) {
          const words = this.#agentWords && Date.now() - this.#agentWords.at < JOIN_WORDS_WINDOW_MS ? this.#agentWords.content : "";
          this.#announce("joined", words);
        }
        this.#knownTakeover = e.human_takeover;
        this.#opts.onEvent?.("status", { status: e.status, human_takeover: e.human_takeover });
        return;
      }
      case "ack": {
        const i = this.#outbox.findIndex((o) => o.clientId === e.client_id);
        if (i >= 0) {
          this.#outbox.splice(i, 1);
          this.#store.saveOutbox(this.#outbox);
        }
        const m = this.messages.value.find((x) => x.clientId === e.client_id && x.sender === "visitor");
        if (m) this.#update(m.key, { id: e.message_id, status: "sent" });
        return;
      }
      case "typing":
        if (e.sender_type === "visitor") return;
        this.typing.value = e.sender_type;
        if (this.#typingTimer) clearTimeout(this.#typingTimer);
        this.#typingTimer = setTimeout(() => (this.typing.value = null), TYPING_TIMEOUT_MS);
        return;
      case "delta": {
        const list = this.messages.value;
        const i = list.findIndex((m) => m.id === e.message_id);
        const current = i >= 0 ? list[i]! : null;
        if (current && current.status !== "streaming") return; // already complete: a late replay
        const chunks = [...(current?.chunks ?? [])];
        chunks[e.seq] = e.delta;
        const next: ChatMessage = {
          key: e.message_id,
          id: e.message_id,
          clientId: null,
          seq: current?.seq ?? null,
          sender: "assistant",
          content: chunks.join(""),
          status: "streaming",
          sources: [],
          chunks,
        };
        batch(() => {
          this.typing.value = null;
          this.messages.value = i >= 0 ? list.map((m, j) => (j === i ? next : m)) : [...list, next];
        });
        return;
      }
      case "response":
      case "agent_message":
      case "message":
        this.#upsert(e.message, true);
        return;
      case "error":
        this.#onError(e);
        return;
      default:
        return; // escalation (the status event that follows says it all), pong
    }
  }

  #onError(e: Extract<ServerEvent, { type: "error" }>): void {
    if (e.message_id) return; // about an answer: its `response` follows with the final state
    if (e.code === "rate_limited") {
      this.#onRateLimited(e.client_id ?? null, e.retry_after ?? null);
      this.#opts.onEvent?.("error", { code: e.code, message: e.message });
      return;
    }
    if (e.code === "not_found") {
      // The message to resume after is unknown (a reset database, say): replay from the start.
      this.#frame({ type: "resume", after: null });
      return;
    }
    if (["invalid_request", "invalid_frame", "frame_too_large"].includes(e.code) && this.#outbox.length) {
      // Frames are answered in order, so a refusal is about the oldest message in flight.
      const refused = this.#outbox.shift()!;
      this.#store.saveOutbox(this.#outbox);
      const m = this.messages.value.find((x) => x.clientId === refused.clientId);
      if (m) this.#update(m.key, { status: "failed" });
    }
    this.#opts.onEvent?.("error", { code: e.code, message: e.message });
  }

  /**
   * A message the server will not answer for now. One it never stored (still in the outbox) is
   * marked failed for the visitor to retry, not re-sent on its own: re-sending is what got it
   * refused. The banner says why, and a short wait clears itself.
   */
  #onRateLimited(clientId: string | null, retryAfterS: number | null): void {
    const i = clientId ? this.#outbox.findIndex((o) => o.clientId === clientId) : -1;
    if (i >= 0) {
      this.#outbox.splice(i, 1);
      this.#store.saveOutbox(this.#outbox);
      const m = this.messages.value.find((x) => x.clientId === clientId && x.sender === "visitor");
      if (m) this.#update(m.key, { status: "failed" });
    }
    const waitS = retryAfterS ?? 0;
    this.#clearRateLimit();
    this.rateLimited.value = waitS > BUSY_AFTER_S ? "later" : "wait";
    if (this.rateLimited.value === "later") return; // until the visitor retries: no timer spans days
    this.#rateLimitTimer = setTimeout(() => {
      this.#rateLimitTimer = null;
      this.rateLimited.value = null;
    }, Math.max(1, waitS) * 1000);
  }

  #clearRateLimit(): void {
    if (this.#rateLimitTimer !== null) clearTimeout(this.#rateLimitTimer);
    this.#rateLimitTimer = null;
    this.rateLimited.value = null;
  }

  /** Adds or replaces a stored message; `live` events (not history) may be announced. */
  #upsert(view: MessageView, live: boolean): void {
    const incoming = fromView(view);
    const list = this.messages.value;
    const i = list.findIndex((m) => m.id === view.id || (view.client_id !== null && m.clientId === view.client_id));
    const before = i >= 0 ? list[i]! : null;
    if (before && before.status === incoming.status && before.content === incoming.content && before.seq === incoming.seq) return;
    if (incoming.sender === "visitor" && incoming.clientId) {
      const o = this.#outbox.findIndex((x) => x.clientId === incoming.clientId);
      if (o >= 0) {
        this.#outbox.splice(o, 1);
        this.#store.saveOutbox(this.#outbox);
      }
    }
    const merged = before ? { ...incoming, key: before.key } : incoming;
    const rest = i >= 0 ? list.filter((_, j) => j !== i) : [...list];
    // Ordered by the server's sequence: before the first message known to come later, else after
    // everything but the sends still waiting for the server (those are the newest).
    let at = rest.findIndex((m) => m.seq !== null && m.seq > merged.seq!);
    if (at < 0) {
      at = rest.length;
      while (at > 0 && rest[at - 1]!.id === null) at--;
    }
    rest.splice(at, 0, merged);
    const finished = live && incoming.sender !== "visitor" && (!before || before.status === "streaming");
    batch(() => {
      this.messages.value = rest;
      if (incoming.sender !== "visitor") this.typing.value = null;
      if (finished && !this.visible.value) this.unread.value++;
    });
    if (finished) {
      if (incoming.sender === "human_agent") {
        this.#agentWords = { content: incoming.content, at: Date.now() };
        if (incoming.name) this.agentName.value = incoming.name;
      }
      this.#announce(incoming.sender === "human_agent" ? "agent" : "assistant", incoming.content);
      this.#opts.onEvent?.("message", { id: view.id, sender_type: view.sender_type, content: view.content, status: view.status });
    }
  }

  #announce(kind: "joined" | "agent" | "assistant", content = ""): void {
    // Set after a blank, so the same words twice are still heard twice.
    this.announcement.value = "";
    queueMicrotask(() => (this.announcement.value = `${kind}\u0000${content}`));
  }

  #update(key: string, patch: Partial<ChatMessage>): void {
    this.messages.value = this.messages.value.map((m) => (m.key === key ? { ...m, ...patch } : m));
  }
}
