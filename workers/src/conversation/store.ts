import type { EscalationAnchor, VisitorQuestion } from "./learnable-question";
import type {
  ConversationStatus,
  EscalationView,
  MessageStatus,
  MessageView,
  SenderType,
  Source,
} from "./protocol";

/** Bump with a new entry in MIGRATIONS when the object's tables change. */
const MIGRATIONS: string[] = [
  `CREATE TABLE IF NOT EXISTS conversation (
     id TEXT PRIMARY KEY,
     workspace_id TEXT NOT NULL,
     assistant_id TEXT NOT NULL,
     channel TEXT NOT NULL,
     visitor_id TEXT NOT NULL,
     status TEXT NOT NULL DEFAULT 'active',
     human_takeover INTEGER NOT NULL DEFAULT 0,
     satisfaction_score INTEGER,
     satisfaction_comment TEXT,
     metadata TEXT NOT NULL DEFAULT '{}',
     external_ref TEXT,
     language TEXT,
     resolved_at TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE TABLE IF NOT EXISTS messages (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     sender_type TEXT NOT NULL,
     sender_id TEXT,
     content TEXT NOT NULL,
     status TEXT NOT NULL,
     sources TEXT NOT NULL DEFAULT '[]',
     confidence REAL,
     tokens_used INTEGER NOT NULL DEFAULT 0,
     latency_ms INTEGER,
     cost_usd REAL NOT NULL DEFAULT 0,
     model TEXT,
     client_id TEXT UNIQUE,
     language TEXT,
     answer_state TEXT,
     reply_to TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE INDEX IF NOT EXISTS messages_pending_idx ON messages(answer_state) WHERE answer_state = 'pending';
   CREATE TABLE IF NOT EXISTS stream_chunks (
     message_id TEXT NOT NULL,
     seq INTEGER NOT NULL,
     delta TEXT NOT NULL,
     PRIMARY KEY (message_id, seq)
   );
   CREATE TABLE IF NOT EXISTS escalations (
     id TEXT PRIMARY KEY,
     reason TEXT NOT NULL,
     note TEXT,
     status TEXT NOT NULL DEFAULT 'open',
     ticket_id TEXT,
     created_at TEXT NOT NULL,
     resolved_at TEXT
   );
   CREATE TABLE IF NOT EXISTS outbox (
     kind TEXT NOT NULL,
     ref_id TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT,
     PRIMARY KEY (kind, ref_id)
   );`,
  // v2: the display name of a human agent, shown to the visitor beside their messages.
  `ALTER TABLE messages ADD COLUMN sender_name TEXT;`,
  // v3: the visitor message an escalation was opened for (the question the AI could not answer).
  `ALTER TABLE escalations ADD COLUMN question_id TEXT;`,
];

/** The conversation's own row in its object. */
export interface ConversationRow {
  id: string;
  workspace_id: string;
  assistant_id: string;
  channel: string;
  visitor_id: string;
  status: ConversationStatus;
  human_takeover: number;
  satisfaction_score: number | null;
  satisfaction_comment: string | null;
  metadata: string;
  external_ref: string | null;
  language: string | null;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

interface MessageRow {
  seq: number;
  id: string;
  sender_type: SenderType;
  sender_id: string | null;
  sender_name: string | null;
  content: string;
  status: MessageStatus;
  sources: string;
  confidence: number | null;
  tokens_used: number;
  latency_ms: number | null;
  cost_usd: number;
  model: string | null;
  client_id: string | null;
  language: string | null;
  answer_state: "pending" | "answered" | "skipped" | null;
  reply_to: string | null;
  created_at: string;
  updated_at: string;
}

/** What is copied to D1 through the outbox. */
export type OutboxKind = "conversation" | "message" | "escalation";

/** A due outbox entry. */
export interface OutboxEntry {
  kind: OutboxKind;
  ref_id: string;
  attempts: number;
}

/** A new message to store. */
export interface NewMessage {
  id: string;
  sender_type: SenderType;
  sender_id?: string | null;
  sender_name?: string | null;
  content: string;
  status: MessageStatus;
  client_id?: string | null;
  language?: string | null;
  answer_state?: MessageRow["answer_state"];
  /** For answers: the visitor message answered. */
  reply_to?: string | null;
  created_at: string;
}

/** Final fields of an answer when its stream ends. */
export interface AnswerFields {
  content: string;
  status: MessageStatus;
  sources?: Source[];
  confidence?: number | null;
  tokens_used?: number;
  latency_ms?: number | null;
  cost_usd?: number;
  model?: string | null;
}

// Row and cursor types of SqlStorage use index signatures; these narrow them once, here.
type Row = Record<string, SqlStorageValue>;

/**
 * Typed access to one conversation object's SQLite: the source of truth for the conversation.
 * Every method is synchronous (the object's storage is local), so callers can read and send
 * without another event slipping in between.
 */
export class ConversationStore {
  constructor(private readonly sql: SqlStorage) {
    this.migrate();
  }

  private migrate(): void {
    this.sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    const current = (this.sql.exec("SELECT max(version) AS v FROM schema_version").one().v as number | null) ?? 0;
    for (let v = current; v < MIGRATIONS.length; v++) {
      this.sql.exec(MIGRATIONS[v]!);
      this.sql.exec("INSERT INTO schema_version (version) VALUES (?)", v + 1);
    }
  }

  /** The conversation, or null when this object was never initialised. */
  conversation(): ConversationRow | null {
    const rows = this.sql.exec("SELECT * FROM conversation LIMIT 1").toArray() as Row[];
    return (rows[0] as unknown as ConversationRow | undefined) ?? null;
  }

  /** Creates the conversation row; a second call with the same id changes nothing. */
  createConversation(row: Omit<ConversationRow, "human_takeover" | "satisfaction_score" | "satisfaction_comment" | "resolved_at" | "language" | "status">): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO conversation (id, workspace_id, assistant_id, channel, visitor_id, metadata, external_ref, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.workspace_id,
      row.assistant_id,
      row.channel,
      row.visitor_id,
      row.metadata,
      row.external_ref,
      row.created_at,
      row.updated_at,
    );
  }

  /** Updates some of the conversation's fields and its `updated_at`. */
  updateConversation(fields: Partial<Omit<ConversationRow, "id" | "workspace_id" | "created_at">>, now: string): void {
    const entries = Object.entries({ ...fields, updated_at: now });
    this.sql.exec(
      `UPDATE conversation SET ${entries.map(([k]) => `${k} = ?`).join(", ")}`,
      ...entries.map(([, v]) => v as SqlStorageValue),
    );
  }

  /** Stores a message and returns it with its sequence number. */
  insertMessage(m: NewMessage): MessageView {
    this.sql.exec(
      `INSERT INTO messages (id, sender_type, sender_id, sender_name, content, status, client_id, language, answer_state, reply_to, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      m.id,
      m.sender_type,
      m.sender_id ?? null,
      m.sender_name ?? null,
      m.content,
      m.status,
      m.client_id ?? null,
      m.language ?? null,
      m.answer_state ?? null,
      m.reply_to ?? null,
      m.created_at,
      m.created_at,
    );
    return this.message(m.id)!;
  }

  /** A message by id, or null. */
  message(id: string): MessageView | null {
    const rows = this.sql.exec("SELECT * FROM messages WHERE id = ?", id).toArray() as Row[];
    return rows[0] ? toView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** The message a client id was already used for, so a re-send is answered once. */
  messageByClientId(clientId: string): MessageView | null {
    const rows = this.sql.exec("SELECT * FROM messages WHERE client_id = ?", clientId).toArray() as Row[];
    return rows[0] ? toView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** The answer given to a visitor message, if any. */
  answerTo(visitorMessageId: string): MessageView | null {
    const rows = this.sql.exec("SELECT * FROM messages WHERE reply_to = ? ORDER BY seq DESC LIMIT 1", visitorMessageId).toArray() as Row[];
    return rows[0] ? toView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** Messages after sequence number `afterSeq`, oldest first, at most `limit`. */
  messagesAfter(afterSeq: number, limit = 1_000): MessageView[] {
    const convId = this.conversation()!.id;
    return (this.sql.exec("SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit).toArray() as Row[]).map(
      (r) => toView(r as unknown as MessageRow, convId),
    );
  }

  /** The latest `limit` finished messages, oldest first, for a prompt's history. */
  recentMessages(limit: number, beforeSeq: number): MessageView[] {
    const convId = this.conversation()!.id;
    const rows = this.sql
      .exec(
        "SELECT * FROM messages WHERE seq < ? AND status IN ('complete', 'stopped') ORDER BY seq DESC LIMIT ?",
        beforeSeq,
        limit,
      )
      .toArray() as Row[];
    return rows.reverse().map((r) => toView(r as unknown as MessageRow, convId));
  }

  /** When the latest message was written, or null. */
  lastMessageAt(): string | null {
    return (this.sql.exec("SELECT max(created_at) AS t FROM messages").one().t as string | null) ?? null;
  }

  /** Number of messages. */
  messageCount(): number {
    return this.sql.exec("SELECT count(*) AS n FROM messages").one().n as number;
  }

  /** The oldest visitor message still waiting for an answer. */
  nextPending(): MessageView | null {
    const rows = this.sql
      .exec("SELECT * FROM messages WHERE answer_state = 'pending' ORDER BY seq LIMIT 1")
      .toArray() as Row[];
    return rows[0] ? toView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** Marks a visitor message answered (or skipped, when a human had taken over). */
  setAnswerState(id: string, state: "answered" | "skipped"): void {
    this.sql.exec("UPDATE messages SET answer_state = ? WHERE id = ?", state, id);
  }

  /** Marks the question an answer replied to as answered. */
  settleQuestionOf(answerId: string): void {
    this.sql.exec(
      "UPDATE messages SET answer_state = 'answered' WHERE id = (SELECT reply_to FROM messages WHERE id = ?)",
      answerId,
    );
  }

  /** Skips every pending visitor message (a human took over). */
  skipAllPending(): void {
    this.sql.exec("UPDATE messages SET answer_state = 'skipped' WHERE answer_state = 'pending'");
  }

  /** Answers still marked streaming: after a restart, their generation is gone. */
  streamingMessages(): MessageView[] {
    const convId = this.conversation()?.id;
    if (!convId) return [];
    return (this.sql.exec("SELECT * FROM messages WHERE status = 'streaming'").toArray() as Row[]).map((r) =>
      toView(r as unknown as MessageRow, convId),
    );
  }

  /** Buffers one streamed delta so a resuming socket can replay it. */
  appendChunk(messageId: string, seq: number, delta: string): void {
    this.sql.exec("INSERT OR REPLACE INTO stream_chunks (message_id, seq, delta) VALUES (?, ?, ?)", messageId, seq, delta);
  }

  /** The buffered deltas of a streaming answer, in order. */
  chunks(messageId: string): { seq: number; delta: string }[] {
    return (this.sql.exec("SELECT seq, delta FROM stream_chunks WHERE message_id = ? ORDER BY seq", messageId).toArray() as Row[]).map(
      (r) => ({ seq: r.seq as number, delta: r.delta as string }),
    );
  }

  /** Writes an answer's final fields and drops its buffered deltas. */
  finishAnswer(id: string, f: AnswerFields, now: string): MessageView {
    this.sql.exec(
      `UPDATE messages SET content = ?, status = ?, sources = ?, confidence = ?, tokens_used = ?, latency_ms = ?,
              cost_usd = ?, model = ?, updated_at = ? WHERE id = ?`,
      f.content,
      f.status,
      JSON.stringify(f.sources ?? []),
      f.confidence ?? null,
      f.tokens_used ?? 0,
      f.latency_ms ?? null,
      f.cost_usd ?? 0,
      f.model ?? null,
      now,
      id,
    );
    this.sql.exec("DELETE FROM stream_chunks WHERE message_id = ?", id);
    return this.message(id)!;
  }

  /** The open escalation, if any. */
  openEscalation(): EscalationView | null {
    const rows = this.sql.exec("SELECT * FROM escalations WHERE status = 'open' ORDER BY created_at DESC LIMIT 1").toArray() as Row[];
    return rows[0] ? this.toEscalation(rows[0]) : null;
  }

  /** An escalation by id. */
  escalation(id: string): EscalationView | null {
    const rows = this.sql.exec("SELECT * FROM escalations WHERE id = ?", id).toArray() as Row[];
    return rows[0] ? this.toEscalation(rows[0]) : null;
  }

  /** Creation times (ISO-8601) of the escalations opened at or after `since`. */
  escalationTimesSince(since: string): string[] {
    return (this.sql.exec("SELECT created_at FROM escalations WHERE created_at >= ?", since).toArray() as Row[]).map((r) => r.created_at as string);
  }

  /** Stores a new open escalation; `question_id` is the visitor message it was opened for, if any. */
  insertEscalation(e: { id: string; reason: EscalationView["reason"]; note: string | null; created_at: string; question_id?: string | null }): EscalationView {
    this.sql.exec(
      "INSERT INTO escalations (id, reason, note, status, created_at, question_id) VALUES (?, ?, ?, 'open', ?, ?)",
      e.id,
      e.reason,
      e.note,
      e.created_at,
      e.question_id ?? null,
    );
    return this.escalation(e.id)!;
  }

  /** The latest escalation, open or not, as `questionToLearn` reads it. */
  latestEscalation(): EscalationAnchor | null {
    const rows = this.sql.exec("SELECT question_id, created_at FROM escalations ORDER BY created_at DESC, rowid DESC LIMIT 1").toArray() as Row[];
    const r = rows[0];
    return r ? { question_id: (r.question_id as string | null) ?? null, created_at: r.created_at as string } : null;
  }

  /** The last `limit` visitor messages, oldest first. */
  recentVisitorMessages(limit: number): VisitorQuestion[] {
    const rows = this.sql.exec("SELECT id, content, created_at FROM messages WHERE sender_type = 'visitor' ORDER BY seq DESC LIMIT ?", limit).toArray() as Row[];
    return rows.reverse().map((r) => ({ id: r.id as string, content: r.content as string, created_at: r.created_at as string }));
  }

  /** Closes every open escalation. */
  resolveEscalations(now: string): string[] {
    const ids = (this.sql.exec("SELECT id FROM escalations WHERE status = 'open'").toArray() as Row[]).map((r) => r.id as string);
    this.sql.exec("UPDATE escalations SET status = 'resolved', resolved_at = ? WHERE status = 'open'", now);
    return ids;
  }

  /** Records the ticket an escalation created. */
  setTicket(escalationId: string, ticketId: string): void {
    this.sql.exec("UPDATE escalations SET ticket_id = ? WHERE id = ?", ticketId, escalationId);
  }

  /** Raw escalation row for the outbox. */
  escalationRow(id: string): Row | null {
    return (this.sql.exec("SELECT * FROM escalations WHERE id = ?", id).toArray() as Row[])[0] ?? null;
  }

  /** Raw message row for the outbox. */
  messageRow(id: string): Row | null {
    return (this.sql.exec("SELECT * FROM messages WHERE id = ?", id).toArray() as Row[])[0] ?? null;
  }

  /** Queues a copy to D1; repeated updates of one object coalesce into one write. */
  enqueueOutbox(kind: OutboxKind, refId: string, now = Date.now()): void {
    this.sql.exec(
      `INSERT INTO outbox (kind, ref_id, attempts, next_attempt_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (kind, ref_id) DO UPDATE SET next_attempt_at = min(next_attempt_at, excluded.next_attempt_at)`,
      kind,
      refId,
      now,
    );
  }

  /** Outbox entries due by `now`, conversations first (D1 rows reference them). */
  dueOutbox(now: number, limit: number): OutboxEntry[] {
    return (this.sql
      .exec(
        `SELECT kind, ref_id, attempts FROM outbox WHERE next_attempt_at <= ?
         ORDER BY CASE kind WHEN 'conversation' THEN 0 WHEN 'message' THEN 1 ELSE 2 END, rowid LIMIT ?`,
        now,
        limit,
      )
      .toArray() as Row[]).map((r) => ({ kind: r.kind as OutboxKind, ref_id: r.ref_id as string, attempts: r.attempts as number }));
  }

  /** Removes entries that reached D1. */
  clearOutbox(entries: OutboxEntry[]): void {
    for (const e of entries) this.sql.exec("DELETE FROM outbox WHERE kind = ? AND ref_id = ?", e.kind, e.ref_id);
  }

  /** Schedules entries for another try after a failure. */
  deferOutbox(entries: OutboxEntry[], nextAttemptAt: number, error: string): void {
    for (const e of entries) {
      this.sql.exec(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE kind = ? AND ref_id = ?",
        nextAttemptAt,
        error.slice(0, 500),
        e.kind,
        e.ref_id,
      );
    }
  }

  /** When the next outbox entry is due (ms epoch), or null when it is empty. */
  nextOutboxAt(): number | null {
    return (this.sql.exec("SELECT min(next_attempt_at) AS t FROM outbox").one().t as number | null) ?? null;
  }

  /** Entries waiting to reach D1 (for tests and health). */
  outboxSize(): number {
    return this.sql.exec("SELECT count(*) AS n FROM outbox").one().n as number;
  }

  /** Erases everything this object stores (visitor erasure). */
  eraseAll(): void {
    for (const t of ["conversation", "messages", "stream_chunks", "escalations", "outbox"]) this.sql.exec(`DELETE FROM ${t}`);
  }

  private toEscalation(r: Row): EscalationView {
    return {
      id: r.id as string,
      conversation_id: this.conversation()!.id,
      reason: r.reason as EscalationView["reason"],
      note: (r.note as string | null) ?? null,
      status: r.status as EscalationView["status"],
      ticket_id: (r.ticket_id as string | null) ?? null,
      created_at: r.created_at as string,
    };
  }
}

function toView(r: MessageRow, conversationId: string): MessageView {
  return {
    id: r.id,
    conversation_id: conversationId,
    seq: r.seq,
    sender_type: r.sender_type,
    sender_id: r.sender_id,
    sender_name: r.sender_name ?? null,
    content: r.content,
    status: r.status,
    sources: JSON.parse(r.sources) as Source[],
    confidence: r.confidence,
    tokens_used: r.tokens_used,
    latency_ms: r.latency_ms,
    cost_usd: r.cost_usd,
    model: r.model,
    client_id: r.client_id,
    language: r.language,
    created_at: r.created_at,
  };
}
