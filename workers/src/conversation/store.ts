import type { EscalationAnchor, VisitorQuestion } from "./learnable-question";
import { AnalyticsOutboxStore } from "./analytics-outbox-store";
import { AssistantConfigCache } from "./assistant-config";
import { OutboxStore } from "./outbox-store";
import type { EscalationView, MessageView } from "./protocol";
import { CONVERSATION_TABLES, migrateConversationTables } from "./store-schema";
import {
  toEscalationView,
  toMessageView,
  type AnswerFields,
  type ConversationRow,
  type MessageRow,
  type NewMessage,
  type Row,
} from "./store-rows";

/**
 * Typed access to one conversation object's SQLite: the source of truth for the conversation.
 * Every method is synchronous (the object's storage is local), so callers can read and send
 * without another event slipping in between.
 */
export class ConversationStore {
  /** The copies still owed to D1. */
  readonly outbox: OutboxStore;
  /** The analytics events still owed to the analytics queue. */
  readonly analyticsOutbox: AnalyticsOutboxStore;
  /** The assistant's answering settings as last read from D1. */
  readonly assistantConfig: AssistantConfigCache;

  constructor(private readonly sql: SqlStorage) {
    migrateConversationTables(sql);
    this.outbox = new OutboxStore(sql);
    this.analyticsOutbox = new AnalyticsOutboxStore(sql);
    this.assistantConfig = new AssistantConfigCache(sql);
  }

  /** The conversation, or null when this object was never initialised. */
  conversation(): ConversationRow | null {
    const rows = this.sql.exec("SELECT * FROM conversation LIMIT 1").toArray() as Row[];
    return (rows[0] as unknown as ConversationRow | undefined) ?? null;
  }

  /** Creates the conversation row; a second call with the same id changes nothing. */
  createConversation(row: Omit<ConversationRow, "human_takeover" | "satisfaction_score" | "satisfaction_comment" | "resolved_at" | "language" | "status">): void {
    this.sql.exec(
      `INSERT OR IGNORE INTO conversation (id, workspace_id, assistant_id, channel, visitor_id, metadata, external_ref, verified, identity, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.id,
      row.workspace_id,
      row.assistant_id,
      row.channel,
      row.visitor_id,
      row.metadata,
      row.external_ref,
      row.verified,
      row.identity,
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
    return rows[0] ? toMessageView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** The message a client id was already used for, so a re-send is answered once. */
  messageByClientId(clientId: string): MessageView | null {
    const rows = this.sql.exec("SELECT * FROM messages WHERE client_id = ?", clientId).toArray() as Row[];
    return rows[0] ? toMessageView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** The answer given to a visitor message, if any. */
  answerTo(visitorMessageId: string): MessageView | null {
    const rows = this.sql.exec("SELECT * FROM messages WHERE reply_to = ? ORDER BY seq DESC LIMIT 1", visitorMessageId).toArray() as Row[];
    return rows[0] ? toMessageView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
  }

  /** Messages after sequence number `afterSeq`, oldest first, at most `limit`. */
  messagesAfter(afterSeq: number, limit = 1_000): MessageView[] {
    const convId = this.conversation()!.id;
    return (this.sql.exec("SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?", afterSeq, limit).toArray() as Row[]).map(
      (r) => toMessageView(r as unknown as MessageRow, convId),
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
    return rows.reverse().map((r) => toMessageView(r as unknown as MessageRow, convId));
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
    return rows[0] ? toMessageView(rows[0] as unknown as MessageRow, this.conversation()!.id) : null;
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
      toMessageView(r as unknown as MessageRow, convId),
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
              cost_usd = ?, model = ?, tool_calls = ?, updated_at = ? WHERE id = ?`,
      f.content,
      f.status,
      JSON.stringify(f.sources ?? []),
      f.confidence ?? null,
      f.tokens_used ?? 0,
      f.latency_ms ?? null,
      f.cost_usd ?? 0,
      f.model ?? null,
      f.tool_calls && f.tool_calls.length > 0 ? JSON.stringify(f.tool_calls) : null,
      now,
      id,
    );
    this.sql.exec("DELETE FROM stream_chunks WHERE message_id = ?", id);
    return this.message(id)!;
  }

  /** The open escalation, if any. */
  openEscalation(): EscalationView | null {
    const rows = this.sql.exec("SELECT * FROM escalations WHERE status = 'open' ORDER BY created_at DESC LIMIT 1").toArray() as Row[];
    return rows[0] ? toEscalationView(rows[0], this.conversation()!.id) : null;
  }

  /** An escalation by id. */
  escalation(id: string): EscalationView | null {
    const rows = this.sql.exec("SELECT * FROM escalations WHERE id = ?", id).toArray() as Row[];
    return rows[0] ? toEscalationView(rows[0], this.conversation()!.id) : null;
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

  /** Erases everything this object stores (visitor erasure). */
  eraseAll(): void {
    for (const t of CONVERSATION_TABLES) this.sql.exec(`DELETE FROM ${t}`);
  }
}
