/**
 * What the widget remembers. The conversation (id, token) is in `localStorage`, so it survives
 * page loads and is shared by every tab of the site; messages waiting to be sent are in
 * `sessionStorage`, per tab, so a reload does not lose them and two tabs never send each other's.
 */

/** The visitor's current conversation and how to reach it. */
export interface StoredConversation {
  id: string;
  token: string;
  expiresAt: string;
  wsUrl: string;
  /** The visitor the token was issued to (renewal needs it). */
  visitorId: string;
  /** The verified user whose conversation this is (renewal then needs their proof); absent when anonymous. */
  user?: string;
  /** The visitor has rated this conversation. */
  rated?: boolean;
}

/** What is shared by the tabs. */
export interface SharedState {
  visitorId: string | null;
  conversation: StoredConversation | null;
}

/** A message not yet acknowledged by the server. */
export interface OutboxEntry {
  clientId: string;
  content: string;
}

function read<T>(store: Storage | null, key: string): T | null {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

function write(store: Storage | null, key: string, value: unknown): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or blocked (private mode, a sandboxed page): the widget still works, it forgets
  }
}

/** Reads and writes the widget's state for one assistant. */
export class WidgetStorage {
  readonly key: string;

  constructor(
    assistantId: string,
    private readonly local: Storage | null,
    private readonly session: Storage | null,
  ) {
    this.key = `edgedesk:${assistantId}`;
  }

  shared(): SharedState {
    const s = read<SharedState>(this.local, this.key);
    return { visitorId: s?.visitorId ?? null, conversation: s?.conversation ?? null };
  }

  saveShared(state: SharedState): void {
    write(this.local, this.key, state);
  }

  outbox(): OutboxEntry[] {
    return read<OutboxEntry[]>(this.session, `${this.key}:outbox`) ?? [];
  }

  saveOutbox(entries: OutboxEntry[]): void {
    write(this.session, `${this.key}:outbox`, entries.length ? entries : null);
  }

  /** Calls `fn` when another tab changes the shared state. */
  watch(target: Pick<Window, "addEventListener" | "removeEventListener"> | null, fn: (state: SharedState) => void): () => void {
    if (!target) return () => {};
    const onStorage = (e: StorageEvent) => {
      if (e.key === this.key || e.key === null) fn(this.shared());
    };
    target.addEventListener("storage", onStorage);
    return () => target.removeEventListener("storage", onStorage);
  }
}

/** A random id: the visitor's, or a message's client id. */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + Array.from(bytes, (b) => (b % 36).toString(36)).join("");
}
