CREATE TABLE `session_guards` (
	`guard` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `thinkers` ADD `session_gen` integer DEFAULT 0 NOT NULL;