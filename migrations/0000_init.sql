CREATE TABLE `contract_links` (
	`id` text PRIMARY KEY NOT NULL,
	`contract_id` text NOT NULL,
	`voucher_id` text,
	`room_id` text,
	`role` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`contract_id`) REFERENCES `contracts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_contract_links_role" CHECK("contract_links"."role" IN ('primary', 'annex', 'offer', 'application'))
);
--> statement-breakpoint
CREATE INDEX `ix_contract_links_contract` ON `contract_links` (`contract_id`);--> statement-breakpoint
CREATE INDEX `ix_contract_links_voucher` ON `contract_links` (`voucher_id`);--> statement-breakpoint
CREATE INDEX `ix_contract_links_room` ON `contract_links` (`room_id`);--> statement-breakpoint
CREATE TABLE `contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`mime_type` text,
	`byte_size` integer,
	`storage_url` text NOT NULL,
	`hash_sha256` text,
	`created_by` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_contracts_created` ON `contracts` (`created_at`);--> statement-breakpoint
CREATE INDEX `ix_contracts_creator` ON `contracts` (`created_by`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`actor_uid` text,
	`subject_type` text,
	`subject_id` text,
	`meta` text DEFAULT '{}' NOT NULL,
	`request_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_events_type` ON `events` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `ix_events_subject` ON `events` (`subject_id`,`id`);--> statement-breakpoint
CREATE INDEX `ix_events_created` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `ix_events_actor` ON `events` (`actor_uid`,`id`);--> statement-breakpoint
CREATE TABLE `fee_events` (
	`id` text PRIMARY KEY NOT NULL,
	`fee_id` text NOT NULL,
	`kind` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`base_amount` integer NOT NULL,
	`rate_ppm` integer NOT NULL,
	`fixed_amount` integer NOT NULL,
	`rounding` text NOT NULL,
	`rule_version` integer NOT NULL,
	`payer_uid` text NOT NULL,
	`beneficiary_id` text NOT NULL,
	`reverses_id` text,
	`settlement_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`fee_id`) REFERENCES `fees`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_fee_events_kind" CHECK("fee_events"."kind" IN ('charge', 'reversal')),
	CONSTRAINT "ck_fee_events_sign" CHECK(("fee_events"."kind" = 'charge' AND "fee_events"."amount" >= 0 AND "fee_events"."reverses_id" IS NULL) OR ("fee_events"."kind" = 'reversal' AND "fee_events"."amount" <= 0 AND "fee_events"."reverses_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_fee_events_charge` ON `fee_events` (`subject_type`,`subject_id`,`fee_id`) WHERE kind = 'charge';--> statement-breakpoint
CREATE UNIQUE INDEX `ux_fee_events_reverses` ON `fee_events` (`reverses_id`);--> statement-breakpoint
CREATE INDEX `ix_fee_events_unsettled` ON `fee_events` (`settlement_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_fee_events_created` ON `fee_events` (`created_at`);--> statement-breakpoint
CREATE TABLE `fees` (
	`id` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`rate_ppm` integer NOT NULL,
	`fixed_amount` integer DEFAULT 0 NOT NULL,
	`currency` text,
	`rounding` text DEFAULT 'half_up' NOT NULL,
	`payer` text NOT NULL,
	`active` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_fees_rate" CHECK("fees"."rate_ppm" BETWEEN 0 AND 1000000),
	CONSTRAINT "ck_fees_fixed" CHECK("fees"."fixed_amount" >= 0),
	CONSTRAINT "ck_fees_rounding" CHECK("fees"."rounding" IN ('half_up', 'half_even', 'floor', 'ceil')),
	CONSTRAINT "ck_fees_scope" CHECK("fees"."scope" IN ('voucher', 'transfer', 'room', 'mortgage'))
);
--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`caller_key` text NOT NULL,
	`route` text NOT NULL,
	`key` text NOT NULL,
	`body_hash` text NOT NULL,
	`state` text NOT NULL,
	`claim` text NOT NULL,
	`status` integer,
	`response` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	CONSTRAINT "ck_idempotency_state" CHECK("idempotency_keys"."state" IN ('in_flight', 'done'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_idempotency` ON `idempotency_keys` (`caller_key`,`route`,`key`);--> statement-breakpoint
CREATE INDEX `ix_idempotency_expires` ON `idempotency_keys` (`expires_at`);--> statement-breakpoint
CREATE TABLE `mortgage_applications` (
	`id` text PRIMARY KEY NOT NULL,
	`property_id` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`desired_loan_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`duration_years` integer NOT NULL,
	`rate_type` text NOT NULL,
	`max_interest_ppm` integer,
	`status` text NOT NULL,
	`visibility` text DEFAULT 'private' NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`property_id`) REFERENCES `properties`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_applications_status" CHECK("mortgage_applications"."status" IN ('open', 'offered', 'accepted', 'rejected', 'withdrawn')),
	CONSTRAINT "ck_applications_rate_type" CHECK("mortgage_applications"."rate_type" IN ('fixed', 'variable')),
	CONSTRAINT "ck_applications_loan" CHECK("mortgage_applications"."desired_loan_amount" > 0)
);
--> statement-breakpoint
CREATE INDEX `ix_applications_borrower` ON `mortgage_applications` (`borrower_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_applications_status` ON `mortgage_applications` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `mortgage_contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`offer_id` text NOT NULL,
	`application_id` text NOT NULL,
	`contract_id` text,
	`lender_uid` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`status` text NOT NULL,
	`signed_by_borrower_at` integer,
	`signed_by_lender_at` integer,
	`signed_by_notary_at` integer,
	`document_refs` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`offer_id`) REFERENCES `mortgage_offers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_mortgage_contracts_status" CHECK("mortgage_contracts"."status" IN ('draft', 'pending-notary', 'active', 'archived', 'cancelled'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mortgage_contracts_offer_id_unique` ON `mortgage_contracts` (`offer_id`);--> statement-breakpoint
CREATE INDEX `ix_mortgage_contracts_borrower` ON `mortgage_contracts` (`borrower_uid`);--> statement-breakpoint
CREATE INDEX `ix_mortgage_contracts_lender` ON `mortgage_contracts` (`lender_uid`);--> statement-breakpoint
CREATE TABLE `mortgage_offers` (
	`id` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`lender_uid` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`loan_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`nominal_rate_ppm` integer NOT NULL,
	`effective_rate_ppm` integer,
	`fixed_years` integer,
	`monthly_payment` integer NOT NULL,
	`terms` text DEFAULT '{}' NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `mortgage_applications`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_offers_status" CHECK("mortgage_offers"."status" IN ('offered', 'accepted', 'rejected', 'withdrawn', 'expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_offers_accepted` ON `mortgage_offers` (`application_id`) WHERE status = 'accepted';--> statement-breakpoint
CREATE INDEX `ix_offers_application` ON `mortgage_offers` (`application_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_offers_lender` ON `mortgage_offers` (`lender_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_offers_borrower` ON `mortgage_offers` (`borrower_uid`,`created_at`);--> statement-breakpoint
CREATE TABLE `mortgage_tranches` (
	`id` text PRIMARY KEY NOT NULL,
	`underlying_offer_id` text NOT NULL,
	`issuer_uid` text NOT NULL,
	`holder_uid` text,
	`nominal_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`expected_yield_ppm` integer NOT NULL,
	`risk_class` text NOT NULL,
	`duration_years` integer NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`underlying_offer_id`) REFERENCES `mortgage_offers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_tranches_status" CHECK("mortgage_tranches"."status" IN ('offered', 'subscribed', 'cancelled', 'expired')),
	CONSTRAINT "ck_tranches_nominal" CHECK("mortgage_tranches"."nominal_amount" > 0)
);
--> statement-breakpoint
CREATE INDEX `ix_tranches_offer` ON `mortgage_tranches` (`underlying_offer_id`);--> statement-breakpoint
CREATE INDEX `ix_tranches_holder` ON `mortgage_tranches` (`holder_uid`);--> statement-breakpoint
CREATE TABLE `presence_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`thinker_id` text NOT NULL,
	`pair_code` text,
	`status` text NOT NULL,
	`room_id` text,
	`last_seen_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ck_presence_status" CHECK("presence_sessions"."status" IN ('online', 'offline'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_presence_thinker` ON `presence_sessions` (`thinker_id`);--> statement-breakpoint
CREATE INDEX `ix_presence_pair_seen` ON `presence_sessions` (`pair_code`,`status`,`last_seen_at`);--> statement-breakpoint
CREATE INDEX `ix_presence_seen` ON `presence_sessions` (`last_seen_at`);--> statement-breakpoint
CREATE TABLE `properties` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_uid` text,
	`type` text,
	`address` text DEFAULT '{}' NOT NULL,
	`purchase_price_amount` integer,
	`own_capital_amount` integer,
	`currency` text,
	`meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_properties_owner` ON `properties` (`owner_uid`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_rate_limits_window` ON `rate_limits` (`window_start`);--> statement-breakpoint
CREATE TABLE `rooms` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`owner_uid` text,
	`meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ck_rooms_type" CHECK("rooms"."type" IN ('text', 'video', 'file', 'contract', 'mixed'))
);
--> statement-breakpoint
CREATE INDEX `ix_rooms_owner` ON `rooms` (`owner_uid`);--> statement-breakpoint
CREATE TABLE `settlement_items` (
	`fee_event_id` text PRIMARY KEY NOT NULL,
	`settlement_id` text NOT NULL,
	`amount` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`fee_event_id`) REFERENCES `fee_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`settlement_id`) REFERENCES `settlements`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ix_settlement_items_settlement` ON `settlement_items` (`settlement_id`);--> statement-breakpoint
CREATE TABLE `settlements` (
	`id` text PRIMARY KEY NOT NULL,
	`beneficiary_id` text NOT NULL,
	`payer_uid` text NOT NULL,
	`period_from` integer NOT NULL,
	`period_to` integer NOT NULL,
	`currency` text NOT NULL,
	`total_amount` integer NOT NULL,
	`item_count` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`invoiced_at` integer,
	`paid_at` integer,
	CONSTRAINT "ck_settlements_status" CHECK("settlements"."status" IN ('open', 'invoiced', 'paid')),
	CONSTRAINT "ck_settlements_period" CHECK("settlements"."period_from" < "settlements"."period_to")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_settlements_key` ON `settlements` (`beneficiary_id`,`payer_uid`,`period_from`,`period_to`,`currency`);--> statement-breakpoint
CREATE INDEX `ix_settlements_status` ON `settlements` (`status`,`period_from`);--> statement-breakpoint
CREATE TABLE `thinkers` (
	`id` text PRIMARY KEY NOT NULL,
	`public_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`verified_at` integer NOT NULL,
	`deleted_at` integer,
	`meta` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `thinkers_public_id_unique` ON `thinkers` (`public_id`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`actor_uid` text,
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
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_transfers_direction" CHECK("transfers"."direction" IN ('in', 'out')),
	CONSTRAINT "ck_transfers_status" CHECK("transfers"."status" IN ('logged', 'settled')),
	CONSTRAINT "ck_transfers_crypto_amount" CHECK("transfers"."crypto_amount" = '0' OR ("transfers"."crypto_amount" GLOB '[1-9]*' AND "transfers"."crypto_amount" NOT GLOB '*[^0-9]*')),
	CONSTRAINT "ck_transfers_decimals" CHECK("transfers"."crypto_decimals" BETWEEN 0 AND 36)
);
--> statement-breakpoint
CREATE INDEX `ix_transfers_wallet` ON `transfers` (`wallet_address`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_transfers_actor` ON `transfers` (`actor_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_transfers_direction` ON `transfers` (`direction`,`created_at`);--> statement-breakpoint
CREATE TABLE `used_link_nonces` (
	`sig_hash` text PRIMARY KEY NOT NULL,
	`uid` text NOT NULL,
	`ts` integer NOT NULL,
	`used_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ix_link_nonces_used` ON `used_link_nonces` (`used_at`);--> statement-breakpoint
CREATE TABLE `voucher_bookings` (
	`id` text PRIMARY KEY NOT NULL,
	`voucher_id` text NOT NULL,
	`issuer_uid` text NOT NULL,
	`holder_uid` text NOT NULL,
	`slot_start` integer NOT NULL,
	`slot_end` integer NOT NULL,
	`status` text NOT NULL,
	`cancel_reason` text,
	`origin_booking_id` text NOT NULL,
	`rescheduled_from_id` text,
	`rescheduled_to_id` text,
	`created_at` integer NOT NULL,
	`cancelled_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`voucher_id`) REFERENCES `vouchers`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_bookings_status" CHECK("voucher_bookings"."status" IN ('booked', 'cancelled', 'rescheduled', 'completed')),
	CONSTRAINT "ck_bookings_slot" CHECK("voucher_bookings"."slot_start" < "voucher_bookings"."slot_end")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_bookings_active_voucher` ON `voucher_bookings` (`voucher_id`) WHERE status = 'booked';--> statement-breakpoint
CREATE UNIQUE INDEX `ux_bookings_active_slot` ON `voucher_bookings` (`voucher_id`,`slot_start`) WHERE status = 'booked';--> statement-breakpoint
CREATE INDEX `ix_bookings_voucher` ON `voucher_bookings` (`voucher_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_bookings_holder` ON `voucher_bookings` (`holder_uid`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_bookings_issuer` ON `voucher_bookings` (`issuer_uid`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_bookings_created` ON `voucher_bookings` (`created_at`);--> statement-breakpoint
CREATE TABLE `voucher_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`service_type` text NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`default_duration` integer NOT NULL,
	`default_terms` text DEFAULT '{}' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `vouchers` (
	`id` text PRIMARY KEY NOT NULL,
	`issuer_uid` text NOT NULL,
	`holder_uid` text,
	`template_id` text,
	`service_type` text NOT NULL,
	`title` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`duration_minutes` integer NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`price_amount` integer,
	`price_currency` text,
	`status` text NOT NULL,
	`transferable` integer NOT NULL,
	`terms` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_vouchers_status" CHECK("vouchers"."status" IN ('issued', 'booked', 'consumed', 'cancelled', 'expired')),
	CONSTRAINT "ck_vouchers_validity" CHECK("vouchers"."valid_from" < "vouchers"."valid_until"),
	CONSTRAINT "ck_vouchers_duration" CHECK("vouchers"."duration_minutes" BETWEEN 1 AND 1440),
	CONSTRAINT "ck_vouchers_price" CHECK(("vouchers"."price_amount" IS NULL AND "vouchers"."price_currency" IS NULL) OR ("vouchers"."price_amount" BETWEEN 0 AND 9007199254740991 AND length("vouchers"."price_currency") = 3))
);
--> statement-breakpoint
CREATE INDEX `ix_vouchers_issuer` ON `vouchers` (`issuer_uid`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_vouchers_holder` ON `vouchers` (`holder_uid`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `ix_vouchers_status_until` ON `vouchers` (`status`,`valid_until`);--> statement-breakpoint
CREATE INDEX `ix_vouchers_template` ON `vouchers` (`template_id`);--> statement-breakpoint
CREATE TABLE `write_guards` (
	`guard` text NOT NULL
);
