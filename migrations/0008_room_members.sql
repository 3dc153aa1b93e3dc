CREATE TABLE `room_members` (
	`room_id` text NOT NULL,
	`uid` text NOT NULL,
	`first_at` integer NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`room_id`, `uid`)
);
--> statement-breakpoint
CREATE INDEX `ix_room_members_uid` ON `room_members` (`uid`);--> statement-breakpoint
CREATE INDEX `ix_room_members_last` ON `room_members` (`last_at`);--> statement-breakpoint
-- Rooms entered before this table existed: their first member (the owner) is known.
INSERT OR IGNORE INTO room_members (room_id, uid, first_at, last_at) SELECT id, owner_uid, created_at, created_at FROM rooms WHERE owner_uid IS NOT NULL;
