CREATE TABLE `device_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`uid` text NOT NULL,
	`thinker_id` text NOT NULL,
	`public_key` text NOT NULL,
	`label` text,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `ix_device_keys_uid` ON `device_keys` (`uid`,`revoked_at`);--> statement-breakpoint
CREATE TABLE `used_device_challenges` (
	`challenge_hash` text PRIMARY KEY NOT NULL,
	`key_id` text NOT NULL,
	`used_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_device_challenges_used` ON `used_device_challenges` (`used_at`);