-- Settlement events are found by range, not by an index on fee_events.settlement_id (see
-- src/settlements/run.ts): every settlement records the lower bound of its events' created_at,
-- and the assignment trigger guarantees that each assigned event lies in
-- [first_event_at, period_to) and carries the settlement's key.
ALTER TABLE `settlements` ADD `first_event_at` integer;--> statement-breakpoint
UPDATE settlements SET first_event_at = (SELECT MIN(created_at) FROM fee_events WHERE settlement_id = settlements.id);--> statement-breakpoint
DROP INDEX `ix_fee_events_unsettled`;--> statement-breakpoint
CREATE INDEX `ix_fee_events_payer` ON `fee_events` (`payer_uid`,`created_at`);--> statement-breakpoint
DROP TRIGGER IF EXISTS tg_fee_events_assign;--> statement-breakpoint
-- One probe of the settlement per assigned event: set once, only into an open settlement of the
-- same key, and only inside the settlement's range.
CREATE TRIGGER tg_fee_events_assign
BEFORE UPDATE OF settlement_id ON fee_events
WHEN NEW.settlement_id IS NOT OLD.settlement_id
BEGIN
  SELECT CASE
    WHEN OLD.settlement_id IS NOT NULL THEN RAISE(ABORT, 'settlement_guard: fee event already assigned')
    WHEN NEW.settlement_id IS NULL THEN NULL
    WHEN s.status IS NOT 'open' THEN RAISE(ABORT, 'settlement_guard: settlement is not open')
    WHEN s.beneficiary_id IS NOT NEW.beneficiary_id OR s.payer_uid IS NOT NEW.payer_uid OR s.currency IS NOT NEW.currency
      THEN RAISE(ABORT, 'settlement_guard: fee event and settlement keys differ')
    WHEN s.first_event_at IS NULL OR NEW.created_at < s.first_event_at OR NEW.created_at >= s.period_to
      THEN RAISE(ABORT, 'settlement_guard: fee event outside its settlement range')
  END
  FROM (SELECT 1) LEFT JOIN settlements AS s ON s.id = NEW.settlement_id;
END;
--> statement-breakpoint
DROP TRIGGER IF EXISTS tg_settlements_closed;--> statement-breakpoint
-- As in 0005, plus: first_event_at only moves down (it bounds the events already assigned), and
-- is frozen with the rest once the settlement is closed.
CREATE TRIGGER tg_settlements_closed
BEFORE UPDATE ON settlements
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
        OR NEW.currency IS NOT OLD.currency OR NEW.first_event_at IS NOT OLD.first_event_at);
  SELECT RAISE(ABORT, 'settlement_guard: first_event_at only moves down')
    WHERE OLD.first_event_at IS NOT NULL AND (NEW.first_event_at IS NULL OR NEW.first_event_at > OLD.first_event_at);
END;
