CREATE TABLE `room_tickets` (
	`hash` text PRIMARY KEY NOT NULL,
	`uid` text NOT NULL,
	`room_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_room_tickets_expires` ON `room_tickets` (`expires_at`);