/**
 * Fee rules turn successful writes into fee events: one immutable charge per
 * (subject, rule), reversals as exact negations pointing at their charge, never deletes.
 *
 * @module
 */
import { type SQL, and, eq, sql } from "drizzle-orm";
import type { Db, Statement } from "../db/client";
import { newId } from "../db/ids";
import { feeEvents, type fees } from "../db/schema";
import { type RoundingMode, applyRate, toSafeNumber } from "../money/money";

/** A fee rule as stored. */
export type FeeRule = typeof fees.$inferSelect;

/** The charge a rule yields for a base amount, or `null` when the rule does not apply. */
export interface FeeQuote {
  amount: number;
  currency: string;
}

/**
 * Pure fee function: `round(base × rate) + fixed` in BigInt with the rule's rounding mode.
 * Rules with a currency apply only to amounts in that currency; inactive rules never apply.
 * Within the API's input bounds (base and fixed part ≤ MAX_AMOUNT, rate ≤ 100 %) the fee is at
 * most MAX_FEE, a safe integer; a fee a JS number cannot hold exactly throws instead of rounding.
 */
export function quoteFee(
  rule: Pick<FeeRule, "ratePpm" | "fixedAmount" | "currency" | "rounding" | "active">,
  baseAmount: number,
  baseCurrency: string,
): FeeQuote | null {
  if (!rule.active) return null;
  if (rule.currency && rule.currency !== baseCurrency) return null;
  const variable = applyRate(BigInt(baseAmount), BigInt(rule.ratePpm), rule.rounding as RoundingMode);
  return { amount: toSafeNumber(variable + BigInt(rule.fixedAmount)), currency: baseCurrency };
}

/**
 * `quoteFee`'s variable part as a SQLite expression over non-negative integers `base` and
 * `ratePpm`, so a charge can be computed inside the batch that makes the sale. The product is
 * split (base = q·10⁶ + r) so no intermediate leaves the 64-bit range for any base < 2⁵³.
 * `test/api/fee-sql.test.ts` checks it against `quoteFee` on random inputs.
 */
export function feeAmountSql(baseIn: SQL, rateIn: SQL, fixedIn: SQL, rounding: SQL): SQL {
  // CAST: a bound JS number may arrive as REAL, and REAL operands would make `/` a float division.
  const base = sql`CAST(${baseIn} AS INTEGER)`;
  const ratePpm = sql`CAST(${rateIn} AS INTEGER)`;
  const fixed = sql`CAST(${fixedIn} AS INTEGER)`;
  const whole = sql`((${base} / 1000000) * ${ratePpm} + ((${base} % 1000000) * ${ratePpm}) / 1000000)`;
  const rem = sql`(((${base} % 1000000) * ${ratePpm}) % 1000000)`;
  return sql`(CASE ${rounding}
    WHEN 'floor' THEN ${whole}
    WHEN 'ceil' THEN ${whole} + (${rem} > 0)
    WHEN 'half_up' THEN ${whole} + (${rem} * 2 >= 1000000)
    ELSE ${whole} + (${rem} * 2 > 1000000 OR (${rem} * 2 = 1000000 AND ${whole} % 2 = 1))
  END + ${fixed})`;
}

/** A charge computed in SQL from a source row with `base_amount`, `base_currency`, `payer_uid`. */
export interface ChargeInput {
  feeId: string;
  subjectType: string;
  subjectId: string;
  /** A SELECT yielding at most one row with the columns above. */
  source: SQL;
  beneficiaryId: string;
  now: number;
}

/**
 * INSERT…SELECT of the charge for a subject, for the batch of the write that earns it. Writes
 * nothing when the rule is inactive or does not match the currency, the subject is unpriced,
 * or the fee is 0 (not a ledger entry). The rule is snapshotted on the row (rate, fixed part,
 * rounding, version), so later edits never change it.
 */
export function chargeStatement(db: Db, c: ChargeInput): Statement {
  return chargeInsert(db, { ...c, id: newId("fe", c.now) });
}

/**
 * {@link chargeStatement} with every value given, so the statement can also be rendered once
 * with placeholders (`src/db/precompiled.ts`): `id` is the new fee event's id.
 */
export function chargeInsert(
  db: Db,
  c: { id: unknown; feeId: string; subjectType: string; subjectId: unknown; source: SQL; beneficiaryId: unknown; now: unknown },
) {
  const amount = feeAmountSql(sql`src.base_amount`, sql`f.rate_ppm`, sql`f.fixed_amount`, sql`f.rounding`);
  // Columns in fee_events' declaration order (seq NULL: SQLite assigns the next ledger position; reverses_id NULL).
  return db.insert(feeEvents).select(sql`
    SELECT NULL, ${c.id}, f.id, 'charge', ${c.subjectType}, ${c.subjectId}, ${amount}, src.base_currency,
      src.base_amount, f.rate_ppm, f.fixed_amount, f.rounding, f.version, src.payer_uid, ${c.beneficiaryId}, NULL, ${c.now}
    FROM (${c.source}) AS src JOIN fees f ON f.id = ${c.feeId}
    WHERE src.base_amount IS NOT NULL AND f.active = 1 AND (f.currency IS NULL OR f.currency = src.base_currency)
      AND ${amount} > 0`);
}

/**
 * Reverses the charge(s) of a subject with negative events that copy the snapshot and point to
 * the original. Written as INSERT…SELECT so it needs no prior read; the unique index on
 * `reverses_id` makes a second reversal of the same charge impossible.
 */
export function reversalStatement(db: Db, subjectType: string, subjectId: string, now: number): Statement {
  const id = newId("fe", now);
  // A query builder, not `db.run(sql)`: drizzle's D1 batch cannot bind the parameters of a raw
  // `db.run` statement ("Cannot read properties of undefined (reading 'bind')"). The SELECT lists
  // every column in the table's declaration order (seq NULL: the next ledger position).
  return db.insert(feeEvents).select(sql`
    SELECT NULL, ${id} || '-' || fee_id, fee_id, 'reversal', subject_type, subject_id, -amount, currency, base_amount,
      rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, id, ${now}
    FROM fee_events
    WHERE subject_type = ${subjectType} AND subject_id = ${subjectId} AND kind = 'charge'
      AND NOT EXISTS (SELECT 1 FROM fee_events r WHERE r.reverses_id = fee_events.id)`);
}

/** Charges and reversals of a subject (tests, admin). */
export function feeEventsOf(db: Db, subjectType: string, subjectId: string) {
  return db
    .select()
    .from(feeEvents)
    .where(and(eq(feeEvents.subjectType, subjectType), eq(feeEvents.subjectId, subjectId)))
    .all();
}
