/**
 * The tables of a conversation object's SQLite, created and migrated on start: one statement
 * list per version, applied in order and recorded in `schema_version`.
 */

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
  // v4: the assistant's answering settings as last read from D1, with the config version they
  // were read at (`assistant-config.ts`; `config` is NULL once the assistant is deleted), and the
  // analytics events still owed to the analytics queue (`analytics-outbox-store.ts`).
  `CREATE TABLE IF NOT EXISTS assistant_config (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     version TEXT NOT NULL,
     config TEXT,
     loaded_at INTEGER NOT NULL
   );
   CREATE TABLE IF NOT EXISTS analytics_outbox (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     body TEXT NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at INTEGER NOT NULL,
     last_error TEXT
   );`,
  // v5: a verified visitor (identity proved with the assistant's secret) and the claims proved.
  `ALTER TABLE conversation ADD COLUMN verified INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE conversation ADD COLUMN identity TEXT;`,
  // v6: the actions an answer called (`tool_calls` of API.md, as JSON; NULL when none).
  `ALTER TABLE messages ADD COLUMN tool_calls TEXT;`,
];

/** Brings the object's tables up to the latest version. */
export function migrateConversationTables(sql: SqlStorage): void {
  sql.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
  const current = (sql.exec("SELECT max(version) AS v FROM schema_version").one().v as number | null) ?? 0;
  for (let v = current; v < MIGRATIONS.length; v++) {
    sql.exec(MIGRATIONS[v]!);
    sql.exec("INSERT INTO schema_version (version) VALUES (?)", v + 1);
  }
}

/** Every table holding the conversation's data, for erasure. */
export const CONVERSATION_TABLES = ["conversation", "messages", "stream_chunks", "escalations", "outbox", "analytics_outbox", "assistant_config"] as const;
