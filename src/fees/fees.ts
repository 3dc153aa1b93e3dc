/**
 * Fee rules turn successful writes into fee events (seed 000 §3): one immutable charge per
 * (subject, rule), reversals as exact negations pointing at their charge, never deletes.
 *
 * @module
 */
import { and, eq, sql } from "drizzle-orm";
import type { Db, Statement } from "../db/client";
import { newId } from "../db/ids";
import { feeEvents, fees } from "../db/schema";
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

/** Loads a rule by id. */
export async function loadRule(db: Db, id: string): Promise<FeeRule | undefined> {
  return db.select().from(fees).where(eq(fees.id, id)).get();
}

/** Inputs of a charge. */
export interface ChargeInput {
  rule: FeeRule;
  subjectType: string;
  subjectId: string;
  baseAmount: number;
  baseCurrency: string;
  payerUid: string;
  beneficiaryId: string;
  now: number;
}

/**
 * The charge's insert statement, or `null` when no fee applies (inactive rule, unpriced subject, zero fee).
 * The rule is snapshotted on the row, so later rule edits never change it.
 */
export function chargeStatement(db: Db, c: ChargeInput): Statement | null {
  const quote = quoteFee(c.rule, c.baseAmount, c.baseCurrency);
  // A zero fee (free voucher, or rounding to 0) is not a ledger entry.
  if (!quote || quote.amount === 0) return null;
  return db.insert(feeEvents).values({
    id: newId("fe", c.now),
    feeId: c.rule.id,
    kind: "charge",
    subjectType: c.subjectType,
    subjectId: c.subjectId,
    amount: quote.amount,
    currency: quote.currency,
    baseAmount: c.baseAmount,
    ratePpm: c.rule.ratePpm,
    fixedAmount: c.rule.fixedAmount,
    rounding: c.rule.rounding,
    ruleVersion: c.rule.version,
    payerUid: c.payerUid,
    beneficiaryId: c.beneficiaryId,
    createdAt: c.now,
  });
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
  // every column in the table's declaration order (settlement_id NULL).
  return db.insert(feeEvents).select(sql`
    SELECT ${id} || '-' || fee_id, fee_id, 'reversal', subject_type, subject_id, -amount, currency, base_amount,
      rate_ppm, fixed_amount, rounding, rule_version, payer_uid, beneficiary_id, id, NULL, ${now}
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
