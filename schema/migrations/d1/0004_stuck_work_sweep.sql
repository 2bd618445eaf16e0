ALTER TABLE `kb_documents` ADD `ingest_sweeps` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `kb_documents_status_idx` ON `kb_documents` (`status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `escalations_status_created_idx` ON `escalations` (`status`,`created_at`);