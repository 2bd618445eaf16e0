CREATE TABLE `notion_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`assistant_id` text NOT NULL,
	`kind` text NOT NULL,
	`notion_id` text NOT NULL,
	`title` text,
	`url` text,
	`status` text DEFAULT 'queued' NOT NULL,
	`error` text,
	`page_count` integer DEFAULT 0 NOT NULL,
	`last_synced_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`deleted_at` text,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assistant_id`) REFERENCES `assistants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `notion_sources_assistant_idx` ON `notion_sources` (`workspace_id`,`assistant_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `notion_sources_synced_idx` ON `notion_sources` (`deleted_at`,`last_synced_at`);--> statement-breakpoint
ALTER TABLE `kb_documents` ADD `notion_source_id` text;--> statement-breakpoint
ALTER TABLE `kb_documents` ADD `external_id` text;--> statement-breakpoint
ALTER TABLE `kb_documents` ADD `external_edited_at` text;--> statement-breakpoint
CREATE INDEX `kb_documents_notion_idx` ON `kb_documents` (`notion_source_id`,`external_id`);