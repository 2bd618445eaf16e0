CREATE TABLE `alert_states` (
	`key` text PRIMARY KEY NOT NULL,
	`open` integer DEFAULT 0 NOT NULL,
	`detail` text,
	`opened_at` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `metric_points` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`name` text,
	`detail` text,
	`status` integer,
	`duration_ms` real,
	`first_delta_ms` real,
	`retrieval_ms` real,
	`llm_ms` real,
	`tokens` integer
);
--> statement-breakpoint
CREATE INDEX `metric_points_kind_at_idx` ON `metric_points` (`kind`,`at`);