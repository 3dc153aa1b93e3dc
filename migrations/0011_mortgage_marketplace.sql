-- The mortgage marketplace. The placeholder mortgage tables of the initial schema were never
-- written by any route, so they are replaced rather than altered (children first: foreign keys).
DROP TABLE `mortgage_tranches`;--> statement-breakpoint
DROP TABLE `mortgage_contracts`;--> statement-breakpoint
DROP TABLE `mortgage_offers`;--> statement-breakpoint
DROP TABLE `mortgage_applications`;--> statement-breakpoint
DROP TABLE `properties`;--> statement-breakpoint
CREATE TABLE `mortgage_application_lenders` (
	`application_id` text NOT NULL,
	`lender_uid` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`application_id`, `lender_uid`),
	FOREIGN KEY (`application_id`) REFERENCES `mortgage_applications`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ix_application_lenders_lender` ON `mortgage_application_lenders` (`lender_uid`,`created_at`);--> statement-breakpoint
CREATE TABLE `mortgage_applications` (
	`id` text PRIMARY KEY NOT NULL,
	`property_id` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`loan_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`duration_years` integer NOT NULL,
	`rate_type` text NOT NULL,
	`max_interest_ppm` integer,
	`status` text NOT NULL,
	`visibility` text NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`accepted_offer_id` text,
	`submitted_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`property_id`) REFERENCES `properties`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_applications_status" CHECK("mortgage_applications"."status" IN ('open', 'offered', 'accepted', 'withdrawn')),
	CONSTRAINT "ck_applications_rate_type" CHECK("mortgage_applications"."rate_type" IN ('fixed', 'variable')),
	CONSTRAINT "ck_applications_visibility" CHECK("mortgage_applications"."visibility" IN ('private', 'market')),
	CONSTRAINT "ck_applications_loan" CHECK("mortgage_applications"."loan_amount" > 0),
	CONSTRAINT "ck_applications_duration" CHECK("mortgage_applications"."duration_years" BETWEEN 1 AND 40),
	CONSTRAINT "ck_applications_max_interest" CHECK("mortgage_applications"."max_interest_ppm" IS NULL OR "mortgage_applications"."max_interest_ppm" BETWEEN 0 AND 1000000),
	CONSTRAINT "ck_applications_accepted" CHECK(("mortgage_applications"."status" = 'accepted') = ("mortgage_applications"."accepted_offer_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_applications_accepted_offer` ON `mortgage_applications` (`accepted_offer_id`);--> statement-breakpoint
CREATE INDEX `ix_applications_borrower` ON `mortgage_applications` (`borrower_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_applications_property` ON `mortgage_applications` (`property_id`);--> statement-breakpoint
CREATE INDEX `ix_applications_market` ON `mortgage_applications` (`visibility`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `mortgage_contracts` (
	`id` text PRIMARY KEY NOT NULL,
	`offer_id` text NOT NULL,
	`application_id` text NOT NULL,
	`lender_uid` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`notary_uid` text,
	`loan_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`status` text NOT NULL,
	`signed_by_borrower_at` integer,
	`signed_by_lender_at` integer,
	`signed_by_notary_at` integer,
	`cancelled_by` text,
	`tranched_amount` integer DEFAULT 0 NOT NULL,
	`document_refs` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`offer_id`) REFERENCES `mortgage_offers`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`application_id`) REFERENCES `mortgage_applications`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_mortgage_contracts_status" CHECK("mortgage_contracts"."status" IN ('draft', 'pending-notary', 'signed', 'cancelled')),
	CONSTRAINT "ck_mortgage_contracts_tranched" CHECK("mortgage_contracts"."tranched_amount" BETWEEN 0 AND "mortgage_contracts"."loan_amount"),
	CONSTRAINT "ck_mortgage_contracts_notary_last" CHECK("mortgage_contracts"."signed_by_notary_at" IS NULL OR ("mortgage_contracts"."signed_by_borrower_at" IS NOT NULL AND "mortgage_contracts"."signed_by_lender_at" IS NOT NULL AND "mortgage_contracts"."notary_uid" IS NOT NULL)),
	CONSTRAINT "ck_mortgage_contracts_signed" CHECK(("mortgage_contracts"."status" = 'signed') = ("mortgage_contracts"."signed_by_notary_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_mortgage_contracts_offer` ON `mortgage_contracts` (`offer_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ux_mortgage_contracts_application` ON `mortgage_contracts` (`application_id`);--> statement-breakpoint
CREATE INDEX `ix_mortgage_contracts_borrower` ON `mortgage_contracts` (`borrower_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_mortgage_contracts_lender` ON `mortgage_contracts` (`lender_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_mortgage_contracts_notary` ON `mortgage_contracts` (`notary_uid`,`created_at`);--> statement-breakpoint
CREATE TABLE `mortgage_offers` (
	`id` text PRIMARY KEY NOT NULL,
	`application_id` text NOT NULL,
	`lender_uid` text NOT NULL,
	`borrower_uid` text NOT NULL,
	`loan_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`nominal_rate_ppm` integer NOT NULL,
	`initial_repayment_ppm` integer,
	`fixed_years` integer NOT NULL,
	`monthly_payment` integer NOT NULL,
	`upfront_fees` integer NOT NULL,
	`effective_rate_ppm` integer NOT NULL,
	`stated_effective_rate_ppm` integer,
	`terms` text DEFAULT '{}' NOT NULL,
	`terms_ref` text,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`application_id`) REFERENCES `mortgage_applications`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_offers_status" CHECK("mortgage_offers"."status" IN ('offered', 'accepted', 'declined', 'withdrawn', 'expired')),
	CONSTRAINT "ck_offers_amounts" CHECK("mortgage_offers"."loan_amount" > 0 AND "mortgage_offers"."monthly_payment" > 0 AND "mortgage_offers"."upfront_fees" >= 0),
	CONSTRAINT "ck_offers_rate" CHECK("mortgage_offers"."nominal_rate_ppm" BETWEEN 0 AND 1000000),
	CONSTRAINT "ck_offers_fixed_years" CHECK("mortgage_offers"."fixed_years" BETWEEN 1 AND 40),
	CONSTRAINT "ck_offers_validity" CHECK("mortgage_offers"."valid_from" < "mortgage_offers"."valid_until")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ux_offers_accepted` ON `mortgage_offers` (`application_id`) WHERE status = 'accepted';--> statement-breakpoint
CREATE INDEX `ix_offers_application` ON `mortgage_offers` (`application_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_offers_lender` ON `mortgage_offers` (`lender_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_offers_borrower` ON `mortgage_offers` (`borrower_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_offers_expiry` ON `mortgage_offers` (`status`,`valid_until`);--> statement-breakpoint
CREATE TABLE `mortgage_tranches` (
	`id` text PRIMARY KEY NOT NULL,
	`contract_id` text NOT NULL,
	`underlying_offer_id` text NOT NULL,
	`lender_uid` text NOT NULL,
	`holder_uid` text,
	`nominal_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`expected_yield_ppm` integer NOT NULL,
	`risk_class` text NOT NULL,
	`duration_years` integer NOT NULL,
	`valid_from` integer NOT NULL,
	`valid_until` integer NOT NULL,
	`status` text NOT NULL,
	`subscribed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`contract_id`) REFERENCES `mortgage_contracts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_tranches_status" CHECK("mortgage_tranches"."status" IN ('offered', 'subscribed', 'cancelled', 'expired')),
	CONSTRAINT "ck_tranches_nominal" CHECK("mortgage_tranches"."nominal_amount" > 0),
	CONSTRAINT "ck_tranches_yield" CHECK("mortgage_tranches"."expected_yield_ppm" BETWEEN 0 AND 1000000),
	CONSTRAINT "ck_tranches_holder" CHECK(("mortgage_tranches"."status" = 'subscribed') = ("mortgage_tranches"."holder_uid" IS NOT NULL)),
	CONSTRAINT "ck_tranches_validity" CHECK("mortgage_tranches"."valid_from" < "mortgage_tranches"."valid_until")
);
--> statement-breakpoint
CREATE INDEX `ix_tranches_contract` ON `mortgage_tranches` (`contract_id`);--> statement-breakpoint
CREATE INDEX `ix_tranches_open` ON `mortgage_tranches` (`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_tranches_lender` ON `mortgage_tranches` (`lender_uid`,`created_at`);--> statement-breakpoint
CREATE INDEX `ix_tranches_holder` ON `mortgage_tranches` (`holder_uid`,`created_at`);--> statement-breakpoint
CREATE TABLE `parties` (
	`uid` text PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `party_roles` (
	`uid` text NOT NULL,
	`role` text NOT NULL,
	`granted_at` integer NOT NULL,
	PRIMARY KEY(`uid`, `role`),
	FOREIGN KEY (`uid`) REFERENCES `parties`(`uid`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_party_roles_role" CHECK("party_roles"."role" IN ('lender', 'notary'))
);
--> statement-breakpoint
CREATE INDEX `ix_party_roles_role` ON `party_roles` (`role`,`uid`);--> statement-breakpoint
CREATE TABLE `properties` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_uid` text NOT NULL,
	`type` text NOT NULL,
	`address` text NOT NULL,
	`purchase_price_amount` integer NOT NULL,
	`own_capital_amount` integer NOT NULL,
	`currency` text NOT NULL,
	`meta` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	CONSTRAINT "ck_properties_type" CHECK("properties"."type" IN ('single-family-house', 'two-family-house', 'multi-family-house', 'terraced-house', 'apartment', 'land', 'commercial', 'other')),
	CONSTRAINT "ck_properties_amounts" CHECK("properties"."purchase_price_amount" > 0 AND "properties"."own_capital_amount" >= 0 AND "properties"."own_capital_amount" <= "properties"."purchase_price_amount")
);
--> statement-breakpoint
CREATE INDEX `ix_properties_owner` ON `properties` (`owner_uid`,`created_at`);
--> statement-breakpoint
-- The platform's mortgage fees, paid by the lender (borrowers never pay): 0.5 % of the loan when a
-- contract is signed, 0.2 % of the nominal when a tranche is subscribed. Only rules nobody edited
-- since the reference data are changed; the version moves on so fee events name what they used.
UPDATE `fees` SET `rate_ppm` = 5000, `active` = 1, `payer` = 'lender', `version` = `version` + 1,
  `meta` = '{"description":"0.5 % of the loan when the contract is signed, paid by the lender"}'
  WHERE `id` = 'mortgage.contract' AND `version` = 1 AND `rate_ppm` = 0 AND `active` = 0;--> statement-breakpoint
UPDATE `fees` SET `rate_ppm` = 2000, `active` = 1, `payer` = 'lender', `version` = `version` + 1,
  `meta` = '{"description":"0.2 % of the nominal when a tranche is subscribed, paid by the lender"}'
  WHERE `id` = 'mortgage.tranche' AND `version` = 1 AND `rate_ppm` = 0 AND `active` = 0;
