/**
 * The knowledge index's SQLite schema, applied in order by a version row in `meta`
 * (`CREATE … IF NOT EXISTS`, so an interrupted migration simply runs again).
 */

/** Schema version the code expects; bump with a new entry in `INDEX_MIGRATIONS`. */
export const INDEX_SCHEMA_VERSION = 2;

/** Statements of each schema version, index 0 being version 1. */
export const INDEX_MIGRATIONS: readonly (readonly string[])[] = [
  [
    // `seq` is the row id the FTS5 index and the vectors point at; `id` is the public chunk id.
    `CREATE TABLE IF NOT EXISTS chunks (
       seq INTEGER PRIMARY KEY,
       id TEXT NOT NULL UNIQUE,
       document_id TEXT NOT NULL,
       ord INTEGER NOT NULL,
       title TEXT NOT NULL,
       heading TEXT,
       content TEXT NOT NULL,
       content_hash TEXT NOT NULL,
       token_count INTEGER NOT NULL DEFAULT 0,
       source_url TEXT
     )`,
    "CREATE INDEX IF NOT EXISTS chunks_document ON chunks (document_id, ord)",
    // The local vector store's vectors: int8 codes (one byte a dimension) and their scale.
    `CREATE TABLE IF NOT EXISTS chunk_vectors (
       chunk_seq INTEGER PRIMARY KEY,
       scale REAL NOT NULL,
       codes BLOB NOT NULL
     )`,
    // Narrow, so count(*) reads ~2 MB of index at 100,000 vectors instead of every 1.5 KB row.
    "CREATE INDEX IF NOT EXISTS chunk_vectors_scale ON chunk_vectors (scale)",
    // Columns and tokenizer as the shared D1 index had them (schema/migrations/d1/0001), so BM25
    // weights and query syntax carry over unchanged.
    `CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
       title, heading, content,
       content='chunks', content_rowid='seq',
       tokenize='porter unicode61 remove_diacritics 2'
     )`,
    `CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
       INSERT INTO chunks_fts(rowid, title, heading, content) VALUES (new.seq, new.title, new.heading, new.content);
     END`,
    `CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
       INSERT INTO chunks_fts(chunks_fts, rowid, title, heading, content) VALUES ('delete', old.seq, old.title, old.heading, old.content);
       DELETE FROM chunk_vectors WHERE chunk_seq = old.seq;
     END`,
    `CREATE TRIGGER IF NOT EXISTS chunks_au AFTER UPDATE ON chunks BEGIN
       INSERT INTO chunks_fts(chunks_fts, rowid, title, heading, content) VALUES ('delete', old.seq, old.title, old.heading, old.content);
       INSERT INTO chunks_fts(rowid, title, heading, content) VALUES (new.seq, new.title, new.heading, new.content);
     END`,
    // Chunks of a large document sent in several calls, kept apart until the document is swapped in.
    `CREATE TABLE IF NOT EXISTS staged_chunks (
       staging_id TEXT NOT NULL,
       document_id TEXT NOT NULL,
       id TEXT NOT NULL,
       ord INTEGER NOT NULL,
       title TEXT NOT NULL,
       heading TEXT,
       content TEXT NOT NULL,
       content_hash TEXT NOT NULL,
       token_count INTEGER NOT NULL DEFAULT 0,
       source_url TEXT,
       scale REAL,
       codes BLOB,
       PRIMARY KEY (staging_id, id)
     )`,
  ],
  [
    // v2, learned phrasings: a visitor's wording of a question that a document answers, kept as
    // further evidence for that document. They outlive re-indexing (not tied to chunk rows) and
    // go with their document. `visitor_id` is what erasure looks them up by.
    `CREATE TABLE IF NOT EXISTS phrasings (
       seq INTEGER PRIMARY KEY,
       id TEXT NOT NULL UNIQUE,
       document_id TEXT NOT NULL,
       text TEXT NOT NULL,
       visitor_id TEXT,
       conversation_id TEXT,
       created_by TEXT NOT NULL,
       created_at TEXT NOT NULL,
       UNIQUE (document_id, text)
     )`,
    "CREATE INDEX IF NOT EXISTS phrasings_document ON phrasings (document_id, created_at, id)",
    "CREATE INDEX IF NOT EXISTS phrasings_visitor ON phrasings (visitor_id) WHERE visitor_id IS NOT NULL",
    // The local vector store's phrasing vectors, as `chunk_vectors` keeps the chunks'.
    `CREATE TABLE IF NOT EXISTS phrasing_vectors (
       phrasing_seq INTEGER PRIMARY KEY,
       scale REAL NOT NULL,
       codes BLOB NOT NULL
     )`,
    // Its own keyword index, tokenised like the chunks' so the same query terms match the same words.
    `CREATE VIRTUAL TABLE IF NOT EXISTS phrasings_fts USING fts5(
       text,
       content='phrasings', content_rowid='seq',
       tokenize='porter unicode61 remove_diacritics 2'
     )`,
    `CREATE TRIGGER IF NOT EXISTS phrasings_ai AFTER INSERT ON phrasings BEGIN
       INSERT INTO phrasings_fts(rowid, text) VALUES (new.seq, new.text);
     END`,
    `CREATE TRIGGER IF NOT EXISTS phrasings_ad AFTER DELETE ON phrasings BEGIN
       INSERT INTO phrasings_fts(phrasings_fts, rowid, text) VALUES ('delete', old.seq, old.text);
       DELETE FROM phrasing_vectors WHERE phrasing_seq = old.seq;
     END`,
  ],
];
