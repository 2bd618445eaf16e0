-- Keyword index over knowledge-base chunks (BM25 via FTS5). External-content table: the text
-- lives once in kb_chunks; these triggers keep the index in step with inserts, updates, deletes.
CREATE VIRTUAL TABLE `kb_chunks_fts` USING fts5(
	title,
	heading,
	content,
	content='kb_chunks',
	content_rowid='rowid',
	tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_ai` AFTER INSERT ON `kb_chunks` BEGIN
	INSERT INTO kb_chunks_fts(rowid, title, heading, content) VALUES (new.rowid, new.title, new.heading, new.content);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_ad` AFTER DELETE ON `kb_chunks` BEGIN
	INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, title, heading, content) VALUES ('delete', old.rowid, old.title, old.heading, old.content);
END;
--> statement-breakpoint
CREATE TRIGGER `kb_chunks_au` AFTER UPDATE ON `kb_chunks` BEGIN
	INSERT INTO kb_chunks_fts(kb_chunks_fts, rowid, title, heading, content) VALUES ('delete', old.rowid, old.title, old.heading, old.content);
	INSERT INTO kb_chunks_fts(rowid, title, heading, content) VALUES (new.rowid, new.title, new.heading, new.content);
END;
