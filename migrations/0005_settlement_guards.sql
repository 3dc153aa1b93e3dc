-- Settlement invariants as triggers, so no code path (cron, admin API, a hand-written query) can
-- break them. Aborting raises an error and rolls back the whole D1 batch.

-- A fee event's settlement is set once, and only to an open settlement.
CREATE TRIGGER IF NOT EXISTS tg_fee_events_assign
BEFORE UPDATE OF settlement_id ON fee_events
WHEN NEW.settlement_id IS NOT OLD.settlement_id
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: fee event already assigned') WHERE OLD.settlement_id IS NOT NULL;
  SELECT RAISE(ABORT, 'settlement_guard: settlement is not open')
    WHERE NEW.settlement_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM settlements WHERE id = NEW.settlement_id AND status = 'open');
END;
--> statement-breakpoint
-- The ledger is immutable: only settlement_id may change on a fee event, and the payer only
-- to an erasure tombstone (right to deletion: the amount stays, the identity goes).
CREATE TRIGGER IF NOT EXISTS tg_fee_events_immutable
BEFORE UPDATE OF id, fee_id, kind, subject_type, subject_id, amount, currency, base_amount, rate_ppm, fixed_amount, rounding, rule_version, beneficiary_id, reverses_id, created_at ON fee_events
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: fee events are immutable');
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS tg_fee_events_payer
BEFORE UPDATE OF payer_uid ON fee_events
WHEN NEW.payer_uid IS NOT OLD.payer_uid AND NEW.payer_uid NOT LIKE 'erased-%'
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: a payer changes only to an erasure tombstone');
END;
--> statement-breakpoint
-- open → invoiced → paid, nothing else; a closed settlement's totals and key never change.
CREATE TRIGGER IF NOT EXISTS tg_settlements_closed
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
        OR NEW.currency IS NOT OLD.currency);
END;
--> statement-breakpoint
CREATE TRIGGER IF NOT EXISTS tg_settlements_no_delete
BEFORE DELETE ON settlements
BEGIN
  SELECT RAISE(ABORT, 'settlement_guard: settlements are never deleted');
END;
