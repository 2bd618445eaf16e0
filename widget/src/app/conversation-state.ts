/**
 * One visitor's conversation as the widget shows it, in signals the UI reads: the transcript,
 * who is typing, the hand-off, refusals, unread replies; and the outbox of messages the server
 * has not acknowledged yet. Server events are folded in here. Reaching the server is left to the
 * session (`session.ts`), which owns the conversation's lifecycle and its link.
 */
import { batch, computed, signal } from "@preact/signals";
import type { ClientFrame, MessageView, ServerEvent, SocketEvent } from "../../../schema/protocol";
import type { WidgetEvent } from "../shared/types";
import { pendingMessage, withDelta, withMessage, type ChatMessage } from "./message-list";
import { randomId, type OutboxEntry, type WidgetStorage } from "./storage";

/** A Retry-After longer than this means a quota, not a burst: stop retrying and tell the visitor. */
export const BUSY_AFTER_S = 60;
/** A "typing" indicator without follow-up disappears after this. */
const TYPING_TIMEOUT_MS = 8_000;
/** Visitor typing is forwarded to agents at most this often. */
const TYPING_THROTTLE_MS = 3_000;
/** An agent's reply this recent is repeated in the "joined" announcement. */
const JOIN_WORDS_WINDOW_MS = 3_000;
/** Socket error codes refusing a frame as malformed or too large. */
const FRAME_REFUSALS = ["invalid_request", "invalid_frame", "frame_too_large"];

/** An uploaded file, as the API describes it. */
export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
}

/** What happened to the actions of the answer under way: the server's events, the visitor's answers. */
export type ToolEvent = Extract<ServerEvent, { type: "tool" | "confirm_request" }> | Extract<ClientFrame, { type: "confirm" }>;

/** Tells the embedding page's listeners (`EdgeDesk.on`). */
export type EmitWidgetEvent = (event: WidgetEvent, detail?: unknown) => void;

/** The conversation's state and the visitor's actions on it; the session supplies the delivery. */
export abstract class ConversationState {
  readonly messages = signal<ChatMessage[]>([]);
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
  /** The actions of the answer under way, as events (`rich.js` draws them; cleared when it arrives). */
  readonly tools = signal<ToolEvent[]>([]);

  /** Messages not acknowledged yet, oldest first; kept in this tab's storage, so a reload keeps them. */
  #outbox: OutboxEntry[];
  readonly #store: WidgetStorage;
  readonly #emit: EmitWidgetEvent | undefined;
  #typingTimer: ReturnType<typeof setTimeout> | null = null;
  #rateLimitTimer: ReturnType<typeof setTimeout> | null = null;
  #lastTypingSent = 0;
  #knownTakeover: boolean | null = null;
  /** An agent's last reply: the status saying they took over follows it, and one sentence says both. */
  #agentWords: { content: string; at: number } | null = null;

  constructor(store: WidgetStorage, emit: EmitWidgetEvent | undefined) {
    this.#store = store;
    this.#emit = emit;
    this.#outbox = store.outbox();
  }

  /** Sends a frame on the conversation's socket; false when none is open. */
  protected abstract frame(frame: ClientFrame): boolean;
  /** Gets the outbox to the server: creates the conversation if need be, connects, sends. */
  protected abstract deliver(): void;

  /** Sends a message (with attachments as Markdown links); it is queued until acknowledged. */
  send(text: string, attachments: Attachment[] = []): void {
    const links = attachments.map((a) => `[${a.filename.replace(/[[\]\\]/g, "")}](${a.url})`);
    const content = [text.trim(), links.join("\n")].filter(Boolean).join("\n\n");
    if (!content) return;
    const entry: OutboxEntry = { clientId: randomId("c_"), content };
    this.#outbox.push(entry);
    this.#store.saveOutbox(this.#outbox);
    this.messages.value = [...this.messages.value, pendingMessage(entry)];
    this.deliver();
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
    this.deliver();
  }

  /** Asks the server to stop the answer being generated. */
  stop(): void {
    this.frame({ type: "stop" });
  }

  /** Answers a confirmation request, once; the card then shows the answer. */
  confirm(callId: string, approve: boolean): void {
    const frame = { type: "confirm", call_id: callId, approve } as const;
    if (this.frame(frame)) this.tools.value = [...this.tools.value, frame];
  }

  /** Tells agents the visitor is typing (throttled). */
  typingNow(): void {
    const now = Date.now();
    if (now - this.#lastTypingSent < TYPING_THROTTLE_MS) return;
    this.#lastTypingSent = now;
    this.frame({ type: "typing" });
  }

  /** The panel was shown or hidden. */
  setVisible(visible: boolean): void {
    this.visible.value = visible;
    if (visible) this.unread.value = 0;
  }

  /** Shows a conversation from scratch: only the messages still waiting to be sent. */
  protected restart(conversationId: string | null, rated: boolean): void {
    batch(() => {
      this.messages.value = this.#outbox.map(pendingMessage);
      this.status.value = "active";
      this.takeover.value = false;
      this.typing.value = null;
      this.tools.value = [];
      this.rated.value = rated;
      this.unread.value = 0;
      this.conversationId.value = conversationId;
    });
    this.#knownTakeover = null;
  }

  /** How many messages wait for the server's acknowledgement. */
  protected queued(): number {
    return this.#outbox.length;
  }

  /** Sends every queued message (again, if need be: the client id keeps it single); true when any went out. */
  protected flush(): boolean {
    let sent = false;
    for (const o of this.#outbox) sent = this.frame({ type: "message", content: o.content, client_id: o.clientId }) || sent;
    return sent;
  }

  /** Empties the outbox; `failed` marks its messages failed on screen (for the visitor to retry). */
  protected clearOutbox(failed: boolean): void {
    const cleared = new Set(this.#outbox.map((o) => o.clientId));
    this.#outbox = [];
    this.#store.saveOutbox([]);
    if (!failed) return;
    this.messages.value = this.messages.value.map((m) => (m.clientId && cleared.has(m.clientId) && m.status === "sending" ? { ...m, status: "failed" } : m));
  }

  /** Stops the rate-limit banner's timer (the session is closing). */
  protected stopRateLimitTimer(): void {
    if (this.#rateLimitTimer !== null) clearTimeout(this.#rateLimitTimer);
  }

  /** Takes a message out of the outbox; true when it was there. */
  #unqueue(clientId: string | null): boolean {
    const i = clientId ? this.#outbox.findIndex((o) => o.clientId === clientId) : -1;
    if (i < 0) return false;
    this.#outbox.splice(i, 1);
    this.#store.saveOutbox(this.#outbox);
    return true;
  }

  /** Folds an event of the socket into the state. */
  protected apply(e: SocketEvent): void {
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
        this.#emit?.("status", { status: e.status, human_takeover: e.human_takeover });
        return;
      }
      case "ack": {
        this.#unqueue(e.client_id);
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
        const next = withDelta(this.messages.value, e);
        if (!next) return; // already complete: a late replay
        batch(() => {
          this.typing.value = null;
          this.messages.value = next;
        });
        return;
      }
      case "response":
      case "agent_message":
      case "message":
        this.upsert(e.message, true);
        return;
      case "error":
        this.#onError(e);
        return;
      case "confirm_request":
      case "tool":
        this.tools.value = [...this.tools.value, e];
        return;
      default:
        return; // escalation (the status event that follows says it all), pong
    }
  }

  #onError(e: Extract<ServerEvent, { type: "error" }>): void {
    if (e.message_id) return; // about an answer: its `response` follows with the final state
    if (e.code === "rate_limited") {
      this.#onRateLimited(e.client_id ?? null, e.retry_after ?? null);
      this.#emit?.("error", { code: e.code, message: e.message });
      return;
    }
    if (e.code === "not_found") {
      // The message to resume after is unknown (a reset database, say): replay from the start.
      this.frame({ type: "resume", after: null });
      return;
    }
    if (FRAME_REFUSALS.includes(e.code) && this.#outbox.length) {
      // Frames are answered in order, so a refusal is about the oldest message in flight.
      const refused = this.#outbox.shift()!;
      this.#store.saveOutbox(this.#outbox);
      const m = this.messages.value.find((x) => x.clientId === refused.clientId);
      if (m) this.#update(m.key, { status: "failed" });
    }
    this.#emit?.("error", { code: e.code, message: e.message });
  }

  /**
   * A message the server will not answer for now. One it never stored (still in the outbox) is
   * marked failed for the visitor to retry, not re-sent on its own: re-sending is what got it
   * refused. The banner says why, and a short wait clears itself.
   */
  #onRateLimited(clientId: string | null, retryAfterS: number | null): void {
    if (this.#unqueue(clientId)) {
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
  protected upsert(view: MessageView, live: boolean): void {
    const merge = withMessage(this.messages.value, view);
    if (!merge) return;
    const { list, incoming, before } = merge;
    if (incoming.sender === "visitor") this.#unqueue(incoming.clientId);
    const finished = live && incoming.sender !== "visitor" && (!before || before.status === "streaming");
    batch(() => {
      this.messages.value = list;
      if (incoming.sender !== "visitor") this.typing.value = null;
      if (finished) this.tools.value = [];
      if (finished && !this.visible.value) this.unread.value++;
    });
    if (finished) {
      if (incoming.sender === "human_agent") {
        this.#agentWords = { content: incoming.content, at: Date.now() };
        if (incoming.name) this.agentName.value = incoming.name;
      }
      this.#announce(incoming.sender === "human_agent" ? "agent" : "assistant", incoming.content);
      this.#emit?.("message", { id: view.id, sender_type: view.sender_type, content: view.content, status: view.status });
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
