-- The settlement ledger (see src/settlements/run.ts): fee events get a ledger position `seq`
-- (the rowid, handed out in commit order), and a settlement run records what it settled as
-- slices of that sequence (settlement_chunks) with one summed row per key (settlement_parts),
-- instead of writing a settlement id onto every event. Existing assignments are carried over:
-- the events are renumbered so that each settled period's events form one contiguous block,
-- which becomes one chunk with one part per settlement.
CREATE TABLE `settlement_chunks` (
	`id` integer PRIMARY KEY NOT NULL,
	`period_from` integer NOT NULL,
	`period_to` integer NOT NULL,
	`seq_from` integer NOT NULL,
	`seq_to` integer NOT NULL,
	`prev_seq` integer NOT NULL,
	`prev_to` integer NOT NULL,
	`event_total` integer NOT NULL,
	`event_count` integer NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ck_settlement_chunks_range" CHECK("settlement_chunks"."seq_from" < "settlement_chunks"."seq_to")
);
--> statement-breakpoint
CREATE INDEX `ix_settlement_chunks_seq` ON `settlement_chunks` (`seq_to`);--> statement-breakpoint
CREATE TABLE `settlement_ledger` (
	`id` integer PRIMARY KEY NOT NULL,
	`settled_seq` integer DEFAULT 0 NOT NULL,
	`settled_to` integer DEFAULT 0 NOT NULL,
	`scan_from` integer DEFAULT 0 NOT NULL,
	`run_from` integer,
	`run_to` integer,
	`run_seq` integer,
	`run_scan_from` integer,
	`run_next` integer,
	`lease_owner` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT 0 NOT NULL,
	CONSTRAINT "ck_settlement_ledger_one" CHECK("settlement_ledger"."id" = 1),
	CONSTRAINT "ck_settlement_ledger_scan" CHECK("settlement_ledger"."scan_from" <= "settlement_ledger"."settled_seq"),
	CONSTRAINT "ck_settlement_ledger_run" CHECK(("settlement_ledger"."run_to" IS NULL AND "settlement_ledger"."run_from" IS NULL AND "settlement_ledger"."run_seq" IS NULL AND "settlement_ledger"."run_next" IS NULL AND "settlement_ledger"."run_scan_from" IS NULL)
        OR ("settlement_ledger"."run_to" >= "settlement_ledger"."settled_to" AND "settlement_ledger"."run_from" < "settlement_ledger"."run_to" AND "settlement_ledger"."run_seq" >= "settlement_ledger"."settled_seq"
          AND "settlement_ledger"."run_next" BETWEEN "settlement_ledger"."scan_from" AND "settlement_ledger"."run_seq" AND "settlement_ledger"."run_scan_from" BETWEEN "settlement_ledger"."scan_from" AND "settlement_ledger"."run_seq"))
);
--> statement-breakpoint
CREATE TABLE `settlement_parts` (
	`chunk_id` integer NOT NULL,
	`beneficiary_id` text NOT NULL,
	`payer_uid` text NOT NULL,
	`currency` text NOT NULL,
	`total_amount` integer NOT NULL,
	`item_count` integer NOT NULL,
	`settlement_id` text,
	PRIMARY KEY(`chunk_id`, `beneficiary_id`, `payer_uid`, `currency`),
	FOREIGN KEY (`chunk_id`) REFERENCES `settlement_chunks`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ix_settlement_parts_settlement` ON `settlement_parts` (`settlement_id`);--> statement-breakpoint
CREATE INDEX `ix_settlement_parts_payer` ON `settlement_parts` (`payer_uid`);--> statement-breakpoint
CREATE TABLE `__new_fee_events` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
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
	`created_at` integer NOT NULL,
	FOREIGN KEY (`fee_id`) REFERENCES `fees`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ck_fee_events_kind" CHECK("__new_fee_events"."kind" IN ('charge', 'reversal')),
	CONSTRAINT "ck_fee_events_sign" CHECK(("__new_fee_events"."kind" = 'charge' AND "__new_fee_events"."amount" >= 0 AND "__new_fee_events"."reverses_id" IS NULL) OR ("__new_fee_events"."kind" = 'reversal' AND "__new_fee_events"."amount" <= 0 AND "__new_fee_events"."reverses_id" IS NOT NULL))
);
--> statement-breakpoint
-- Settled events first, one block per settled period (in period order), then the unsettled ones
-- in (created_at, id) order.
INSERT INTO `__new_fee_events`("seq", "id", "fee_id", "kind", "subject_type", "subject_id", "amount", "currency", "base_amount", "rate_ppm", "fixed_amount", "rounding", "rule_version", "payer_uid", "beneficiary_id", "reverses_id", "created_at")
SELECT ROW_NUMBER() OVER (ORDER BY s.id IS NULL, s.period_to, s.period_from, fe.created_at, fe.id), fe."id", fe."fee_id", fe."kind", fe."subject_type", fe."subject_id", fe."amount", fe."currency", fe."base_amount", fe."rate_ppm", fe."fixed_amount", fe."rounding", fe."rule_version", fe."payer_uid", fe."beneficiary_id", fe."reverses_id", fe."created_at"
FROM `fee_events` AS fe LEFT JOIN `settlements` AS s ON s.id = fe.settlement_id;--> statement-breakpoint
INSERT INTO `settlement_chunks` (`id`, `period_from`, `period_to`, `seq_from`, `seq_to`, `prev_seq`, `prev_to`,
  `event_total`, `event_count`, `created_at`)
SELECT ROW_NUMBER() OVER (ORDER BY s.period_to, s.period_from), s.period_from, s.period_to, MIN(n.seq) - 1, MAX(n.seq), 0, 0,
  SUM(n.amount), COUNT(*), CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
FROM `fee_events` AS fe JOIN `settlements` AS s ON s.id = fe.settlement_id JOIN `__new_fee_events` AS n ON n.id = fe.id
GROUP BY s.period_from, s.period_to;--> statement-breakpoint
INSERT INTO `settlement_parts` (`chunk_id`, `beneficiary_id`, `payer_uid`, `currency`, `total_amount`, `item_count`, `settlement_id`)
SELECT c.id, fe.beneficiary_id, fe.payer_uid, fe.currency, SUM(fe.amount), COUNT(*), MIN(fe.settlement_id)
FROM `fee_events` AS fe JOIN `settlements` AS s ON s.id = fe.settlement_id
  JOIN `settlement_chunks` AS c ON c.period_from = s.period_from AND c.period_to = s.period_to
GROUP BY c.id, fe.beneficiary_id, fe.payer_uid, fe.currency;--> statement-breakpoint
-- Everything up to the last settled block is settled; later events are not.
INSERT INTO `settlement_ledger` (`id`, `settled_seq`, `settled_to`, `scan_from`)
SELECT 1, COALESCE(MAX(seq_to), 0), COALESCE(MAX(period_to), 0), COALESCE(MAX(seq_to), 0) FROM `settlement_chunks`;--> statement-breakpoint
DROP TABLE `fee_events`;--> statement-breakpoint
ALTER TABLE `__new_fee_events` RENAME TO `fee_events`;--> statement-breakpoint
CREATE UNIQUE INDEX `ux_fee_events_id` ON `fee_events` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ux_fee_events_charge` ON `fee_events` (`subject_type`,`subject_id`,`fee_id`) WHERE kind = 'charge';--> statement-breakpoint
CREATE UNIQUE INDEX `ux_fee_events_reverses` ON `fee_events` (`reverses_id`);--> statement-breakpoint
CREATE INDEX `ix_fee_events_payer` ON `fee_events` (`payer_uid`,`seq`);--> statement-breakpoint
CREATE INDEX `ix_fee_events_created` ON `fee_events` (`created_at`);--> statement-breakpoint
DROP TRIGGER IF EXISTS tg_settlements_closed;--> statement-breakpoint
ALTER TABLE `settlements` DROP COLUMN `first_event_at`;--> statement-breakpoint
-- open → invoiced → paid, nothing else; a closed settlement's totals and key never change. (As
-- in 0005, but only evaluated where it can object: a settlement that is and stays open may change,
-- which is what a run's totals update does to thousands of rows.)
CREATE TRIGGER tg_settlements_closed
BEFORE UPDATE ON settlements
WHEN OLD.status <> 'open' OR NEW.status IS NOT OLD.status
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: invalid status transition')
    WHERE NEW.status IS NOT OLD.status
      AND NOT ((OLD.status = 'open' AND NEW.status = 'invoiced') OR (OLD.status = 'invoiced' AND NEW.status = 'paid'));
  SELECT RAISE(ABORT, 'settlement_guard: a closed settlement is frozen')
    WHERE OLD.status <> 'open'
      AND (NEW.total_amount IS NOT OLD.total_amount OR NEW.item_count IS NOT OLD.item_count
        OR NEW.beneficiary_id IS NOT OLD.beneficiary_id
        OR (NEW.payer_uid IS NOT OLD.payer_uid AND NEW.payer_uid NOT LIKE 'erased-%')
        OR NEW.period_from IS NOT OLD.period_from OR NEW.period_to IS NOT OLD.period_to
        OR NEW.currency IS NOT OLD.currency);
END;
--> statement-breakpoint
-- The ledger is append-only: nothing but the payer (to an erasure tombstone) ever changes, and no
-- row is ever deleted, so seq stays in commit order and a settled range stays what it was.
CREATE TRIGGER tg_fee_events_immutable
BEFORE UPDATE OF seq, id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount, rounding, rule_version, beneficiary_id, reverses_id, created_at ON fee_events
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: fee events are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER tg_fee_events_payer
BEFORE UPDATE OF payer_uid ON fee_events
WHEN NEW.payer_uid IS NOT OLD.payer_uid AND NEW.payer_uid NOT LIKE 'erased-%'
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: a payer changes only to an erasure tombstone');
END;
--> statement-breakpoint
CREATE TRIGGER tg_fee_events_no_delete
BEFORE DELETE ON fee_events
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: fee events are never deleted');
END;
--> statement-breakpoint
-- A chunk is exactly the next slice of the run in progress, cut from the ledger's cursor; writing
-- it advances the run. So chunks never overlap, whatever code writes them.
CREATE TRIGGER tg_settlement_chunks_next
BEFORE INSERT ON settlement_chunks
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: a chunk must be the next slice of the run in progress')
    WHERE NOT EXISTS (SELECT 1 FROM settlement_ledger AS l WHERE l.id = 1 AND l.run_to = NEW.period_to
      AND l.run_from = NEW.period_from AND l.run_next = NEW.seq_from AND NEW.seq_to <= l.run_seq
      AND l.settled_seq = NEW.prev_seq AND l.settled_to = NEW.prev_to);
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_chunks_advance
AFTER INSERT ON settlement_chunks
BEGIN
  UPDATE settlement_ledger SET run_next = NEW.seq_to WHERE id = 1;
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_chunks_frozen
BEFORE UPDATE ON settlement_chunks
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: settled chunks are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_chunks_no_delete
BEFORE DELETE ON settlement_chunks
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: settled chunks are immutable');
END;
--> statement-breakpoint
-- The cursor only moves forward, and a run is closed only once all its chunks are written, by
-- moving the cursor exactly to the run's end.
CREATE TRIGGER tg_settlement_ledger_forward
BEFORE UPDATE ON settlement_ledger
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: the settlement ledger only moves forward')
    WHERE NEW.settled_seq < OLD.settled_seq OR NEW.settled_to < OLD.settled_to OR NEW.scan_from < OLD.scan_from
      OR NEW.run_next < OLD.run_next;
  SELECT RAISE(ABORT, 'settlement_guard: the cursor moves only when a run ends')
    WHERE (NEW.settled_seq IS NOT OLD.settled_seq OR NEW.settled_to IS NOT OLD.settled_to OR NEW.scan_from IS NOT OLD.scan_from)
      AND NOT (OLD.run_to IS NOT NULL AND NEW.run_to IS NULL);
  SELECT RAISE(ABORT, 'settlement_guard: a run ends only when all its chunks are written, at its own end')
    WHERE OLD.run_to IS NOT NULL AND NEW.run_to IS NULL
      AND (OLD.run_next IS NOT OLD.run_seq OR NEW.settled_seq IS NOT OLD.run_seq OR NEW.settled_to IS NOT OLD.run_to
        OR NEW.scan_from IS NOT OLD.run_scan_from);
  SELECT RAISE(ABORT, 'settlement_guard: a run in progress cannot be replaced')
    WHERE OLD.run_to IS NOT NULL AND NEW.run_to IS NOT NULL
      AND (NEW.run_to IS NOT OLD.run_to OR NEW.run_from IS NOT OLD.run_from OR NEW.run_seq IS NOT OLD.run_seq
        OR NEW.run_scan_from IS NOT OLD.run_scan_from);
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_ledger_no_delete
BEFORE DELETE ON settlement_ledger
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: the settlement ledger is never deleted');
END;
--> statement-breakpoint
-- A part's key, chunk and sums never change (the payer only to an erasure tombstone); its
-- settlement is set once, to an open settlement of the same key whose period ends no earlier
-- than the chunk's.
CREATE TRIGGER tg_settlement_parts_frozen
BEFORE UPDATE OF chunk_id, beneficiary_id, currency, total_amount, item_count, payer_uid ON settlement_parts
WHEN NEW.chunk_id IS NOT OLD.chunk_id OR NEW.beneficiary_id IS NOT OLD.beneficiary_id OR NEW.currency IS NOT OLD.currency
  OR NEW.total_amount IS NOT OLD.total_amount OR NEW.item_count IS NOT OLD.item_count
  OR (NEW.payer_uid IS NOT OLD.payer_uid AND NEW.payer_uid NOT LIKE 'erased-%')
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: settlement parts are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_parts_link
BEFORE UPDATE OF settlement_id ON settlement_parts
WHEN NEW.settlement_id IS NOT OLD.settlement_id
BEGIN
  SELECT CASE
    WHEN OLD.settlement_id IS NOT NULL THEN RAISE(ABORT, 'settlement_guard: fee events already assigned')
    WHEN s.status IS NOT 'open' THEN RAISE(ABORT, 'settlement_guard: settlement is not open')
    WHEN s.beneficiary_id IS NOT NEW.beneficiary_id OR s.payer_uid IS NOT NEW.payer_uid OR s.currency IS NOT NEW.currency
      THEN RAISE(ABORT, 'settlement_guard: fee events and settlement keys differ')
    WHEN s.period_to < (SELECT period_to FROM settlement_chunks WHERE id = NEW.chunk_id)
      THEN RAISE(ABORT, 'settlement_guard: fee events after the settlement period')
  END
  FROM (SELECT 1) LEFT JOIN settlements AS s ON s.id = NEW.settlement_id;
END;
--> statement-breakpoint
CREATE TRIGGER tg_settlement_parts_no_delete
BEFORE DELETE ON settlement_parts
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: settlement parts are never deleted');
END;
--> statement-breakpoint
-- Each fee event with its settlement (for audits, tests and ad-hoc queries): the part of its
-- chunk and key. Unsettled events have no row; events waiting for an open settlement have a
-- NULL settlement_id.
CREATE VIEW fee_event_settlements AS
SELECT fe.seq, fe.id AS fee_event_id, c.id AS chunk_id, p.settlement_id
FROM fee_events AS fe
JOIN settlement_chunks AS c ON fe.seq > c.seq_from AND fe.seq <= c.seq_to AND fe.created_at < c.period_to
  AND NOT (fe.seq <= c.prev_seq AND fe.created_at < c.prev_to)
JOIN settlement_parts AS p ON p.chunk_id = c.id AND p.beneficiary_id = fe.beneficiary_id AND p.payer_uid = fe.payer_uid
  AND p.currency = fe.currency;
