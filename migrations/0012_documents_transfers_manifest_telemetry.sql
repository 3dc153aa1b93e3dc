-- Legal-hub documents on R2, telbank transfers with an owner and a failed status, manifest posts
-- and telemetry. The placeholder contracts, contract_links and transfers tables of the initial
-- schema were never written by any route, so they are replaced rather than altered.
DROP TABLE `contract_links`;--> statement-breakpoint
DROP TABLE `contracts`;--> statement-breakpoint
DROP TABLE `transfers`;--> statement-breakpoint
CREATE TABLE `contract_links` (
	`id` text PRIMARY KEY NOT NULL,
	`contract_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`role` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`contract_id`) REFERENCES `contracts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_contract_links_subject" CHECK("contract_links"."subject_type" IN ('voucher', 'room', 'mortgage_property', 'mortgage_application', 'mortgage_offer', 'mortgage_contract', 'mortgage_tranche')),
	CONSTRAINT "ck_contract_links_role" CHECK("contract_links"."role" IN ('primary', 'annex', 'offer', 'application'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_contract_links_subject` ON `contract_links` (`contract_id`,`subject_type`,`subject_id`);--> statement-breakpoint
CREATE INDEX `ix_contract_links_by_subject` ON `contract_links` (`subject_type`,`subject_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`mime_type` text NOT NULL,
	`byte_size` integer NOT NULL,
	`r2_key` text NOT NULL,
	`hash_sha256` text,
	`created_by` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`stored_at` integer,
	`deleted_at` integer,
	CONSTRAINT "ck_contracts_status" CHECK("contracts"."status" IN ('pending', 'stored', 'deleted')),
	CONSTRAINT "ck_contracts_size" CHECK("contracts"."byte_size" >= 0),
	CONSTRAINT "ck_contracts_stored" CHECK("contracts"."status" <> 'stored' OR ("contracts"."hash_sha256" IS NOT NULL AND "contracts"."stored_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_contracts_r2_key` ON `contracts` (`r2_key`);--> statement-breakpoint
CREATE INDEX `ix_contracts_creator` ON `contracts` (`created_by`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_contracts_status` ON `contracts` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `manifest_posts` (
	`author_uid` text NOT NULL,
	`client_id` text NOT NULL,
	`source` text NOT NULL,
	`type` text NOT NULL,
	`visibility` text NOT NULL,
	`title` text,
	`body` text NOT NULL,
	`content_hash` text NOT NULL,
	`version` integer NOT NULL,
	`client_updated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`author_uid`, `client_id`),
	CONSTRAINT "ck_manifest_posts_visibility" CHECK("manifest_posts"."visibility" IN ('public', 'private')),
	CONSTRAINT "ck_manifest_posts_version" CHECK("manifest_posts"."version" >= 1)
);
--> statement-breakpoint
CREATE INDEX `ix_manifest_posts_public` ON `manifest_posts` (`visibility`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_manifest_posts_type` ON `manifest_posts` (`type`,`updated_at`);--> statement-breakpoint
CREATE INDEX `ix_manifest_posts_author` ON `manifest_posts` (`author_uid`,`updated_at`);--> statement-breakpoint
CREATE TABLE `telemetry_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`path` text,
	`caller_key` text NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_telemetry_created` ON `telemetry_events` (`created_at`);--> statement-breakpoint
CREATE INDEX `ix_telemetry_type` ON `telemetry_events` (`type`,`created_at`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_uid` text NOT NULL,
	`direction` text NOT NULL,
	`label` text,
	`wallet_address` text,
	`network` text,
	`crypto_amount` text NOT NULL,
	`crypto_decimals` integer NOT NULL,
	`crypto_symbol` text NOT NULL,
	`fiat_amount` integer NOT NULL,
	`fiat_currency` text NOT NULL,
	`external_account` text,
	`meta` text DEFAULT '{}' NOT NULL,
	`status` text NOT NULL,
	`status_changed_at` integer,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_transfers_direction" CHECK("transfers"."direction" IN ('in', 'out')),
	CONSTRAINT "ck_transfers_status" CHECK("transfers"."status" IN ('logged', 'settled', 'failed')),
	CONSTRAINT "ck_transfers_crypto_amount" CHECK("transfers"."crypto_amount" = '0' OR ("transfers"."crypto_amount" GLOB '[1-9]*' AND "transfers"."crypto_amount" NOT GLOB '*[^0-9]*')),
	CONSTRAINT "ck_transfers_decimals" CHECK("transfers"."crypto_decimals" BETWEEN 0 AND 36),
	CONSTRAINT "ck_transfers_fiat" CHECK("transfers"."fiat_amount" >= 0)
);
--> statement-breakpoint
CREATE INDEX `ix_transfers_actor` ON `transfers` (`actor_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_transfers_actor_wallet` ON `transfers` (`actor_uid`,`wallet_address`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_transfers_created` ON `transfers` (`created_at`);