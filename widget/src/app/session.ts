/**
 * The protocol client: one visitor's conversation with the platform, as signals the UI reads.
 *
 * - The conversation is created when the visitor first sends something (an open widget costs
 *   the server nothing), and remembered across page loads and tabs (see `storage.ts`).
 * - History comes from `GET …/messages`; live events from the WebSocket (`transport.ts`, which
 *   reconnects and resumes), folded into the state the UI reads (`conversation-state.ts`).
 * - Every message gets a `client_id` and stays in the outbox until the server acknowledges it;
 *   after a reconnect it is sent again with the same id, which the server stores only once.
 */
import { batch, signal } from "@preact/signals";
import type { ClientFrame, MessageView } from "../../../schema/protocol";
import type { VisitorIdentity, WidgetEvent } from "../shared/types";
import { BUSY_AFTER_S, ConversationState } from "./conversation-state";
import { resumePoint } from "./message-list";
import { randomId, WidgetStorage, type SharedState, type StoredConversation } from "./storage";
import { HttpError, tokenExpiring, Transport } from "./transport";

const HISTORY_PAGE = 100;
const HISTORY_MAX_PAGES = 20; // 2,000 messages: more than any support chat
/**
 * API refusals of a new conversation that no retry can change: the key, the assistant, this page's
 * origin, or the visitor's identity proof (401; 409 when the assistant takes none).
 */
const REFUSED_STATUSES = [400, 401, 403, 404, 409];

/**
 * What a refused conversation start means for the visitor: `unavailable` when no retry can help
 * (the key, the assistant or this page's origin is refused), `busy` for a plan limit (not a
 * blip), null for anything a retry after a back-off may cure.
 */
export function startRefusal(err: HttpError): "unavailable" | "busy" | null {
  if (REFUSED_STATUSES.includes(err.status)) return "unavailable";
  if (err.status === 402 || (err.status === 429 && (err.retryAfterS ?? 0) > BUSY_AFTER_S)) return "busy";
  return null;
}

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
  /** Who the page said the visitor is before the session started. */
  identity?: VisitorIdentity | null;
}

/** One visitor's conversation: state as signals, actions as methods. */
export class ChatSession extends ConversationState {
  /** The connection as the visitor perceives it. */
  readonly link: Transport["link"];
  readonly unreachable: Transport["unreachable"];
  readonly online = signal(true);

  readonly #store: WidgetStorage;
  readonly #link: Transport;
  #conv: StoredConversation | null;
  #visitorId: string;
  #identity: VisitorIdentity = {};
  #creating: Promise<StoredConversation> | null = null;
  #stopped = false;
  readonly #cleanups: (() => void)[] = [];
  readonly #opts: SessionOptions;

  constructor(opts: SessionOptions) {
    const store = new WidgetStorage(opts.assistantId, opts.local ?? null, opts.session ?? null);
    super(store, opts.onEvent);
    this.#opts = opts;
    this.#store = store;
    this.#link = new Transport(opts, {
      current: () => this.#conv,
      kick: () => this.#kick(),
      resumeAfter: () => resumePoint(this.messages.value),
      opened: () => this.#flush(),
      event: (e) => this.apply(e),
      closed: () => (this.typing.value = null),
      renewed: () => this.#saveShared(),
      renewal: (conv) => (conv.user ? { identity: this.#verified()?.[0] } : { visitor_id: conv.visitorId }),
      gone: () => this.newConversation(),
    });
    this.link = this.#link.link;
    this.unreachable = this.#link.unreachable;
    const shared = store.shared();
    this.#visitorId = shared.visitorId ?? randomId("v_");
    this.#identity = { ...opts.identity };
    // A stored conversation is shown only to the user it belongs to: on a shared device, another
    // user (or nobody signed in, or someone signing in over an anonymous chat) starts afresh.
    this.#conv = this.#owns(shared.conversation) ? shared.conversation : null;
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
    this.#reset();
    if (this.#conv) {
      await this.#loadHistory();
      this.#link.connect();
    } else if (this.queued()) {
      this.#kick();
    }
  }

  /** Leaves the current conversation; the next message starts a new one. */
  newConversation(): void {
    this.#link.close();
    this.#conv = null;
    this.clearOutbox(false);
    this.#saveShared();
    this.#reset();
  }

  /**
   * Who the visitor is; another visitor id than the current one, or another verified user (a
   * new `user_id`, or a token for another `sub`), starts a fresh conversation. A token wins over
   * `user_id` + `user_hash`; a new `user_id` drops a token given before.
   */
  identify(who: VisitorIdentity): void {
    this.#identity = { ...this.#identity, ...who };
    if (who.user_id) this.#identity.token = who.token;
    if (this.#conv && !this.#owns(this.#conv)) this.newConversation();
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
    return this.#link.api(method, `/conversations/${conv.id}${path}`, { ...opts, token: conv.token });
  }

  /** Where this conversation's attachments live, and the token that reads them. */
  attachmentAccess(): { prefix: string; token: string } | null {
    const conv = this.#conv;
    return conv && { prefix: `${this.#opts.apiBase}/api/v1/conversations/${conv.id}/attachments/`, token: conv.token };
  }

  /** The network is back (or the page is visible again): try at once rather than wait. */
  reconnectNow(): void {
    this.#link.reconnectNow();
  }

  /** Stops everything: sockets, timers, listeners. */
  destroy(): void {
    this.#stopped = true;
    this.#link.stop();
    this.stopRateLimitTimer();
    for (const fn of this.#cleanups.splice(0)) fn();
  }

  protected frame(frame: ClientFrame): boolean {
    return this.#link.send(frame);
  }

  protected deliver(): void {
    this.#kick();
    this.#flush();
  }

  #reset(): void {
    batch(() => {
      this.restart(this.#conv?.id ?? null, this.#conv?.rated ?? false);
      this.link.value = "idle";
      this.unreachable.value = false;
    });
  }

  /** True when `conv` belongs to the visitor as now identified (the same verified user, or both anonymous). */
  #owns(conv: StoredConversation | null): boolean {
    return !conv || conv.user === this.#verified()?.[1];
  }

  /**
   * The verified user's proof (sent as `identity`) and the user it names: a token's `sub`, read
   * but not checked (the platform checks it), to tell one user from the next on a shared device.
   * Null for an anonymous visitor.
   */
  #verified(): [{ token: string } | { user_id: string; user_hash: string }, string] | null {
    const { token, user_id, user_hash } = this.#identity;
    try {
      return token ? [{ token }, String(JSON.parse(atob(token.split(".")[1]!.replace(/-/g, "+").replace(/_/g, "/"))).sub)] : user_id && user_hash ? [{ user_id, user_hash }, user_id] : null;
    } catch {
      return [{ token: token! }, "?"]; // unreadable: the platform refuses it, and no stored conversation is this user's
    }
  }

  #saveShared(): void {
    this.#store.saveShared({ visitorId: this.#visitorId, conversation: this.#conv });
  }

  /** Another tab changed the shared state: follow it. */
  #adopt(s: SharedState): void {
    if (s.visitorId) this.#visitorId = s.visitorId;
    const next = s.conversation;
    if (!this.#owns(next)) return; // another user's, from a tab this page does not share a user with
    if (next?.id === this.#conv?.id) {
      if (next && this.#conv) Object.assign(this.#conv, next);
      this.rated.value = this.#conv?.rated ?? false;
      return;
    }
    this.#link.close();
    this.#conv = next;
    this.#reset();
    if (next) void this.#loadHistory().then(() => this.#link.connect());
  }

  /** The conversation, created on first use (one request even when called many times). */
  #ensureConversation(): Promise<StoredConversation> {
    if (this.#conv) return Promise.resolve(this.#conv);
    this.#creating ??= (async () => {
      const metadata: Record<string, string> = {};
      if (this.#identity.name) metadata.name = this.#identity.name.slice(0, 500);
      if (this.#identity.email) metadata.email = this.#identity.email.slice(0, 500);
      // A verified user's open conversation is resumed (on a new device too); the socket's resume replays it.
      const verified = this.#verified();
      const created = (await this.#link.api("POST", "/conversations", {
        body: {
          assistant_id: this.#opts.assistantId,
          visitor_id: this.#visitorId,
          channel: "web",
          ...(Object.keys(metadata).length ? { metadata } : {}),
          ...(verified && { identity: verified[0], resume: true }),
        },
      })) as { conversation_id: string; token: string; token_expires_at: string; ws_url: string };
      this.#conv = {
        id: created.conversation_id,
        token: created.token,
        expiresAt: created.token_expires_at,
        wsUrl: created.ws_url,
        visitorId: this.#visitorId,
        user: verified?.[1],
      };
      this.#saveShared();
      this.conversationId.value = this.#conv.id;
      this.#opts.onEvent?.("conversation", { conversation_id: this.#conv.id });
      this.#link.connect(); // whoever asked for it (a send, an upload) is about to talk
      return this.#conv;
    })().finally(() => (this.#creating = null));
    return this.#creating;
  }

  async #loadHistory(): Promise<void> {
    const conv = this.#conv;
    if (!conv) return;
    const all: MessageView[] = [];
    try {
      if (tokenExpiring(conv) && !(await this.#link.renewToken())) return;
      let cursor: string | null = null;
      for (let page = 0; page < HISTORY_MAX_PAGES; page++) {
        const q: string = `?limit=${HISTORY_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
        const res = (await this.#link.api("GET", `/conversations/${conv.id}/messages${q}`, { token: this.#conv!.token })) as {
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
      for (const m of all) this.upsert(m, false);
    });
  }

  /** Makes progress: creates the conversation when messages wait for one, else connects. */
  #kick(): void {
    if (this.#stopped || this.unavailable.value) return;
    if (this.#conv) {
      this.#link.connect();
      return;
    }
    if (!this.queued() || this.#creating) return;
    this.link.value = "connecting";
    this.#ensureConversation().then(
      () => this.#link.connect(),
      (err: unknown) => {
        if (!(err instanceof HttpError)) return this.#link.retryLater(null);
        const refusal = startRefusal(err);
        if (!refusal) return this.#link.retryLater(err.retryAfterS);
        // Said to the visitor, whose messages fail: trying again is theirs to ask for.
        this[refusal].value = true;
        this.clearOutbox(true);
        this.#opts.onEvent?.("error", { code: err.code, status: err.status });
      },
    );
  }

  /** Sends what waits in the outbox; an answer is then due, or the socket is dead. */
  #flush(): void {
    if (this.flush()) this.#link.expectFrame();
  }
}
