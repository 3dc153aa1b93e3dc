-- Telemetry is stored as one row per caller and flush (items as a JSON array) instead of one row
-- per item. Rows already stored move over as one row per caller and instant.
CREATE TABLE `telemetry_batches` (
	`seq` integer PRIMARY KEY NOT NULL,
	`caller_key` text NOT NULL,
	`items` text NOT NULL,
	`item_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ck_telemetry_batches_count" CHECK("telemetry_batches"."item_count" >= 1)
);
--> statement-breakpoint
CREATE INDEX `ix_telemetry_batches_created` ON `telemetry_batches` (`created_at`);
--> statement-breakpoint
INSERT INTO `telemetry_batches` (`caller_key`, `items`, `item_count`, `created_at`)
SELECT `caller_key`,
	json_group_array(json_object('type', `type`, 'path', `path`,
		'meta', CASE WHEN json_valid(`meta`) THEN json(`meta`) ELSE `meta` END, 'at', `created_at`)),
	count(*), `created_at`
FROM (SELECT * FROM `telemetry_events` ORDER BY `seq`)
GROUP BY `caller_key`, `created_at`
ORDER BY min(`seq`);
--> statement-breakpoint
DROP TABLE `telemetry_events`;
