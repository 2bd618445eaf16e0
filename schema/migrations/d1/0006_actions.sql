CREATE TABLE `action_calls` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`action_id` text NOT NULL,
	`assistant_id` text NOT NULL,
	`conversation_id` text,
	`source` text NOT NULL,
	`status` text NOT NULL,
	`arguments` text DEFAULT '{}' NOT NULL,
	`result` text,
	`error` text,
	`http_status` integer,
	`latency_ms` integer DEFAULT 0 NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `action_calls_action_idx` ON `action_calls` (`action_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `action_calls_conversation_idx` ON `action_calls` (`conversation_id`);--> statement-breakpoint
CREATE TABLE `actions` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`assistant_id` text NOT NULL,
	`mcp_server_id` text,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`kind` text NOT NULL,
	`parameters` text DEFAULT '{}' NOT NULL,
	`method` text NOT NULL,
	`url` text NOT NULL,
	`headers_set` text DEFAULT '[]' NOT NULL,
	`headers_ciphertext` text,
	`headers_key_id` text,
	`response_fields` text DEFAULT '[]' NOT NULL,
	`mutating` integer DEFAULT false NOT NULL,
	`requires_verified` integer DEFAULT false NOT NULL,
	`triggers` text,
	`answer_template` text,
	`timeout_ms` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assistant_id`) REFERENCES `assistants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `actions_assistant_name_uq` ON `actions` (`assistant_id`,`name`);--> statement-breakpoint
CREATE INDEX `actions_workspace_idx` ON `actions` (`workspace_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `actions_mcp_server_idx` ON `actions` (`mcp_server_id`);--> statement-breakpoint
CREATE TABLE `mcp_servers` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`assistant_id` text NOT NULL,
	`url` text NOT NULL,
	`headers_set` text DEFAULT '[]' NOT NULL,
	`headers_ciphertext` text,
	`headers_key_id` text,
	`server_name` text,
	`tool_count` integer DEFAULT 0 NOT NULL,
	`refreshed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assistant_id`) REFERENCES `assistants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_servers_assistant_url_uq` ON `mcp_servers` (`assistant_id`,`url`);