/**
 * The widget's link to the platform: REST calls (with the publishable key or the conversation's
 * token) and the conversation's WebSocket. The socket reconnects with jittered exponential
 * backoff, pings to find a dead connection, asks the server to `resume` after the last message
 * held in full (so a half-streamed answer is replayed from its first delta), and renews the
 * conversation's token when it is about to expire. What the events mean is the session's job.
 */
import { batch, signal } from "@preact/signals";
import type { ClientFrame, SocketEvent } from "../../../schema/protocol";
import type { StoredConversation } from "./storage";

/** First reconnect delay; each failure doubles it up to the cap. */
export const RECONNECT_BASE_MS = 500;
/** Longest wait between reconnect attempts. */
export const RECONNECT_MAX_MS = 30_000;
/** Failed attempts before the visitor is told the service cannot be reached. */
export const UNREACHABLE_AFTER_ATTEMPTS = 2;
/** Pings keep proxies from closing an idle socket and reveal a dead one. */
export const PING_INTERVAL_MS = 25_000;
/** No frame this long after a ping or a send: the socket is dead, open a new one. */
export const SILENCE_TIMEOUT_MS = 10_000;
/** A conversation token this close to expiry is renewed before connecting. */
export const TOKEN_RENEW_MARGIN_MS = 60_000;
/** Failed opens in a row after which the token is renewed: the server may have stopped taking it. */
const FAILED_OPENS_BEFORE_RENEWAL = 2;

/** The connection as the visitor perceives it. */
export type LinkState = "idle" | "connecting" | "open" | "down";

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

/** True when a token expires within the renewal margin. */
export function tokenExpiring(conv: StoredConversation): boolean {
  return Date.parse(conv.expiresAt) - Date.now() < TOKEN_RENEW_MARGIN_MS;
}

/** What the transport needs from its surroundings (tests pass fakes for the last three). */
export interface TransportOptions {
  apiBase: string;
  publishableKey: string;
  WebSocket?: typeof WebSocket;
  fetch?: typeof fetch;
  random?: () => number;
}

/** What the transport asks of the conversation it carries. */
export interface TransportHooks {
  /** The conversation to connect to now; null when there is none (yet, or any more). */
  current(): StoredConversation | null;
  /** A back-off is over: make progress (connect, or create the conversation messages wait for). */
  kick(): void;
  /** The socket opened: the id of the last message held in full, to resume after. */
  resumeAfter(): string | null;
  /** The socket opened and resumed: send what waits. */
  opened(): void;
  /** An event arrived. */
  event(e: SocketEvent): void;
  /** The socket closed (a new one follows after a back-off). */
  closed(): void;
  /** The conversation's token was renewed in place: remember it. */
  renewed(): void;
  /** What renewing `conv`'s token takes: its visitor id, or a verified user's proof. */
  renewal(conv: StoredConversation): unknown;
  /** The conversation is gone, or no longer this visitor's: start afresh. */
  gone(): void;
}

/** One visitor's link: REST calls, and the socket of the current conversation. */
export class Transport {
  readonly link = signal<LinkState>("idle");
  readonly unreachable = signal(false);

  readonly #opts: TransportOptions;
  readonly #hooks: TransportHooks;
  #ws: WebSocket | null = null;
  #attempt = 0;
  #failedOpens = 0;
  #stopped = false;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #silenceTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(opts: TransportOptions, hooks: TransportHooks) {
    this.#opts = opts;
    this.#hooks = hooks;
  }

  /** Calls the API (`/api/v1…`) with the token given, else the publishable key; throws `HttpError`. */
  async api(method: string, path: string, opts: { token?: string; body?: unknown; form?: FormData } = {}): Promise<unknown> {
    const headers: Record<string, string> = { Authorization: `Bearer ${opts.token ?? this.#opts.publishableKey}` };
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const http = this.#opts.fetch ?? fetch; // called unbound: a browser's fetch refuses another `this`
    const res = await http(`${this.#opts.apiBase}/api/v1${path}`, {
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

  /** A fresh token for the current conversation; null when the conversation is gone. */
  async renewToken(): Promise<StoredConversation | null> {
    const conv = this.#hooks.current();
    if (!conv) return null;
    try {
      const fresh = (await this.api("POST", `/conversations/${conv.id}/token`, { body: this.#hooks.renewal(conv) })) as {
        token: string;
        token_expires_at: string;
        ws_url: string;
      };
      Object.assign(conv, { token: fresh.token, expiresAt: fresh.token_expires_at, wsUrl: fresh.ws_url });
      this.#hooks.renewed();
      return conv;
    } catch (err) {
      if (err instanceof HttpError && (err.status === 404 || err.status === 401)) {
        this.#hooks.gone();
        return null;
      }
      throw err;
    }
  }

  /** Opens the current conversation's socket unless one is open, renewing the token first if need be. */
  connect(): void {
    const conv = this.#hooks.current();
    if (this.#stopped || this.#ws || !conv) return;
    this.link.value = "connecting";
    if (this.#failedOpens >= FAILED_OPENS_BEFORE_RENEWAL || tokenExpiring(conv)) {
      this.#failedOpens = 0;
      this.renewToken().then(
        (fresh) => fresh && this.#open(fresh),
        () => this.retryLater(null),
      );
      return;
    }
    this.#open(conv);
  }

  #open(conv: StoredConversation): void {
    if (this.#stopped || this.#ws || this.#hooks.current() !== conv) return;
    let ws: WebSocket;
    try {
      ws = new (this.#opts.WebSocket ?? WebSocket)(`${conv.wsUrl}?token=${encodeURIComponent(conv.token)}`);
    } catch {
      this.retryLater(null);
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
      this.send({ type: "resume", after: this.#hooks.resumeAfter() });
      this.#hooks.opened();
      this.#pingTimer = setInterval(() => {
        this.send({ type: "ping" });
        this.expectFrame();
      }, PING_INTERVAL_MS);
    };
    ws.onmessage = (e: MessageEvent) => {
      if (this.#ws !== ws) return;
      this.#clearSilence();
      try {
        this.#hooks.event(JSON.parse(String(e.data)) as SocketEvent);
      } catch {
        // a frame we cannot read is skipped, the stream goes on
      }
    };
    ws.onclose = () => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#stopTimers();
      if (!opened) this.#failedOpens++;
      this.#hooks.closed();
      this.retryLater(null);
    };
  }

  /** Sends a frame on the open socket; false when there is none (the caller keeps what it sent). */
  send(frame: ClientFrame): boolean {
    if (!this.#ws || this.#ws.readyState !== 1) return false;
    try {
      this.#ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Tries again after `retryAfterS` (the server's word) or the next back-off delay. */
  retryLater(retryAfterS: number | null): void {
    if (this.#stopped) return;
    this.#clearRetry();
    const delay = retryAfterS !== null ? retryAfterS * 1000 : backoffDelay(this.#attempt, this.#opts.random);
    this.#attempt++;
    batch(() => {
      this.link.value = "down";
      this.unreachable.value = this.#attempt >= UNREACHABLE_AFTER_ATTEMPTS;
    });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#hooks.kick();
    }, delay);
  }

  /** The network is back (or the page is visible again): try at once rather than wait. */
  reconnectNow(): void {
    if (this.#ws || this.#stopped || this.#retryTimer === null) return;
    this.#clearRetry();
    this.#hooks.kick();
  }

  /** Something was sent that the server answers: if nothing at all arrives soon, the socket is dead. */
  expectFrame(): void {
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
        this.retryLater(null);
      }
    }, SILENCE_TIMEOUT_MS);
  }

  /** Closes the socket and forgets any planned retry (the conversation was left or replaced). */
  close(): void {
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

  /** Closes for good: no socket, no timer, no retry. */
  stop(): void {
    this.#stopped = true;
    this.close();
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
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
}
