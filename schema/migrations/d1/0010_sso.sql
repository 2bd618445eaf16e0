CREATE TABLE `sso_configs` (
	`workspace_id` text PRIMARY KEY NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`issuer` text NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_ciphertext` text,
	`client_secret_key_id` text,
	`allowed_domains` text DEFAULT '[]' NOT NULL,
	`default_role` text DEFAULT 'viewer' NOT NULL,
	`required` integer DEFAULT false NOT NULL,
	`break_glass_user_id` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sso_logins` (
	`id` text PRIMARY KEY NOT NULL,
	`workspace_id` text NOT NULL,
	`state_hash` text NOT NULL,
	`browser_hash` text NOT NULL,
	`nonce` text NOT NULL,
	`code_verifier` text NOT NULL,
	`redirect_uri` text NOT NULL,
	`next_path` text,
	`expires_at` text NOT NULL,
	`completed_at` text,
	`user_id` text,
	`exchange_code_hash` text,
	`exchange_expires_at` text,
	`exchanged_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`workspace_id`) REFERENCES `workspaces`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sso_logins_state_uq` ON `sso_logins` (`state_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `sso_logins_exchange_uq` ON `sso_logins` (`exchange_code_hash`);