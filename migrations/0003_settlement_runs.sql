CREATE TABLE `settlement_runs` (
	`id` text PRIMARY KEY NOT NULL,
	`period_from` integer NOT NULL,
	`period_to` integer NOT NULL,
	`status` text NOT NULL,
	`lease_owner` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`trigger` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`assigned` integer DEFAULT 0 NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`settlements` integer DEFAULT 0 NOT NULL,
	`error` text,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_settlement_runs_status" CHECK("settlement_runs"."status" IN ('running', 'done', 'failed')),
	CONSTRAINT "ck_settlement_runs_period" CHECK("settlement_runs"."period_from" < "settlement_runs"."period_to")
);
--> statement-breakpoint
CREATE INDEX `ix_settlement_runs_finished` ON `settlement_runs` (`finished_at`);--> statement-breakpoint
CREATE INDEX `ix_fee_events_unassigned` ON `fee_events` (`created_at`,`id`) WHERE settlement_id IS NULL;