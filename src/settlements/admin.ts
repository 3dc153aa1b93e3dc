/**
 * Settlement administration: listing, invoicing, paying and the CSV export.
 * Status changes are compare-and-swap updates (`open → invoiced → paid`) with their event in the
 * same batch; the D1 triggers of migrations 0005 and 0009 refuse anything else even if code tried.
 *
 * @module
 */
import { type SQL, and, asc, desc, eq, getTableColumns, gt, gte, lte, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { type Db, abortUnlessChanged, isGuardAbort } from "../db/client";
import { afterCursor, encodeCursor } from "../db/pagination";
import { feeEvents, settlementChunks, settlementParts, settlements } from "../db/schema";
import { eventStatement } from "../events/events";
import { conflict, notFound } from "../core/errors";
import type { HandlerContext } from "../http/route";
import { integerText, minorTotal, toMinor } from "../money/totals";
import { IN_CHUNK, OF_PART } from "./ledger";

/**
 * A settlement row as the API reads it: every column, the total as TEXT. A settlement's total is
 * the sum of all its fee events, so it may pass 2^53, where D1 would hand it over rounded.
 */
export const SETTLEMENT_FIELDS = { ...getTableColumns(settlements), totalAmount: integerText(settlements.totalAmount) };

/** A row selected with {@link SETTLEMENT_FIELDS}. */
export type SettlementRow = Omit<typeof settlements.$inferSelect, "totalAmount"> & { totalAmount: string };
type FeeEventRow = typeof feeEvents.$inferSelect;
type Ctx<B, Q> = HandlerContext<B, Q>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * A settlement as the API shows it: instants ISO, `totalAmount` a decimal string of minor units
 * (exact at any size), `itemCount` a number.
 */
export function toSettlement(s: SettlementRow) {
  return {
    id: s.id,
    beneficiaryId: s.beneficiaryId,
    payerUid: s.payerUid,
    periodFrom: iso(s.periodFrom),
    periodTo: iso(s.periodTo),
    currency: s.currency,
    totalAmount: minorTotal(toMinor(s.totalAmount)),
    itemCount: s.itemCount,
    status: s.status,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    invoicedAt: iso(s.invoicedAt),
    paidAt: iso(s.paidAt),
  };
}

/**
 * A fee event as the API shows it (with the settlement it was settled into, if any). Its amounts
 * are single amounts, bounded at the input (a fee at most MAX_FEE of src/money/money.ts), so they
 * stay JSON numbers.
 */
export function toFeeEvent(f: FeeEventRow, settlementId: string | null) {
  return {
    id: f.id,
    seq: f.seq,
    feeId: f.feeId,
    kind: f.kind,
    subjectType: f.subjectType,
    subjectId: f.subjectId,
    amount: f.amount,
    currency: f.currency,
    baseAmount: f.baseAmount,
    ratePpm: f.ratePpm,
    fixedAmount: f.fixedAmount,
    rounding: f.rounding,
    ruleVersion: f.ruleVersion,
    payerUid: f.payerUid,
    beneficiaryId: f.beneficiaryId,
    reversesId: f.reversesId,
    settlementId,
    createdAt: iso(f.createdAt),
  };
}

/** Filters of the list and the export. */
export interface SettlementFilter {
  status?: "open" | "invoiced" | "paid" | undefined;
  /** Settlements whose period starts at or after / ends at or before these instants (epoch ms). */
  from?: number | undefined;
  to?: number | undefined;
  beneficiary?: string | undefined;
  payer?: string | undefined;
  currency?: string | undefined;
}

/** WHERE of a settlement filter. */
export function settlementWhere(f: SettlementFilter): SQL | undefined {
  return and(
    f.status ? eq(settlements.status, f.status) : undefined,
    f.from !== undefined ? gte(settlements.periodFrom, f.from) : undefined,
    f.to !== undefined ? lte(settlements.periodTo, f.to) : undefined,
    f.beneficiary ? eq(settlements.beneficiaryId, f.beneficiary) : undefined,
    f.payer ? eq(settlements.payerUid, f.payer) : undefined,
    f.currency ? eq(settlements.currency, f.currency) : undefined,
  );
}

/**
 * One newest-first page of settlements matching `where` (keyset cursor over `created_at, id`),
 * read with {@link SETTLEMENT_FIELDS}.
 */
export async function settlementPage(db: Db, where: SQL | undefined, page: { limit: number; cursor?: string | undefined }) {
  const rows = await db
    .select(SETTLEMENT_FIELDS)
    .from(settlements)
    .where(and(where, afterCursor(settlements, page.cursor)))
    .orderBy(desc(settlements.createdAt), desc(settlements.id))
    .limit(page.limit + 1)
    .all();
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.createdAt, last.id) : null };
}

/** One newest-first page of settlements. */
export async function listSettlements(ctx: Ctx<unknown, unknown>, f: SettlementFilter, page: { limit: number; cursor?: string }) {
  const p = await settlementPage(ctx.db, settlementWhere(f), page);
  return { ok: true as const, items: p.items.map(toSettlement), nextCursor: p.nextCursor };
}

/**
 * A settlement with one page of its fee events, in ledger order (cursor = last `seq`). The events
 * are found from the settlement's parts: each names a chunk (a `seq` range) and a key, so the
 * walk is parts → chunk → that payer's events in the range (index `ix_fee_events_payer`).
 */
export async function getSettlement(
  ctx: Ctx<unknown, unknown>,
  id: string,
  page: { limit: number; cursor?: number | undefined },
) {
  const p = alias(settlementParts, "p");
  const c = alias(settlementChunks, "c");
  const fe = alias(feeEvents, "fe");
  const [[s], events] = await ctx.read([
    ctx.db.select(SETTLEMENT_FIELDS).from(settlements).where(eq(settlements.id, id)),
    ctx.db
      .select(getTableColumns(fe))
      .from(p)
      .innerJoin(c, eq(c.id, p.chunkId))
      .innerJoin(fe, sql`${OF_PART} AND ${IN_CHUNK}`)
      .where(and(eq(p.settlementId, id), page.cursor !== undefined ? gt(fe.seq, page.cursor) : undefined))
      .orderBy(asc(fe.seq))
      .limit(page.limit + 1),
  ]);
  if (!s) throw notFound("settlement_not_found", "no such settlement");
  const items = events.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    ok: true as const,
    settlement: toSettlement(s),
    feeEvents: items.map((f) => toFeeEvent(f, id)),
    nextCursor: events.length > page.limit && last ? String(last.seq) : null,
  };
}

/** The status change each admin action makes. */
const TRANSITIONS = {
  invoice: { from: "open", to: "invoiced", event: "settlement.invoice" },
  pay: { from: "invoiced", to: "paid", event: "settlement.pay" },
} as const;

/**
 * `open → invoiced` or `invoiced → paid`, by compare-and-swap. Invoicing recomputes the totals
 * from the settlement's parts in the same statement, so a closed settlement's totals are exact and
 * frozen from then on. 404 unknown id, 409 `invalid_transition` from any other status.
 */
export async function transition(ctx: Ctx<unknown, unknown>, id: string, action: keyof typeof TRANSITIONS) {
  const t = TRANSITIONS[action];
  const { db, now } = ctx;
  const set =
    action === "invoice"
      ? {
          status: t.to,
          invoicedAt: now,
          updatedAt: now,
          totalAmount: fromParts("total_amount"),
          itemCount: fromParts("item_count"),
        }
      : { status: t.to, paidAt: now, updatedAt: now };
  try {
    return await ctx.commit(
      [
        db
          .update(settlements)
          .set(set)
          .where(and(eq(settlements.id, id), eq(settlements.status, t.from))),
        abortUnlessChanged(db),
        eventStatement(db, {
          type: t.event,
          actorUid: ctx.caller,
          subjectType: "settlement",
          subjectId: id,
          meta: { from: t.from, to: t.to },
          requestId: ctx.requestId,
          now,
        }),
        db.select(SETTLEMENT_FIELDS).from(settlements).where(eq(settlements.id, id)),
      ],
      (rows) => ({ body: { ok: true, settlement: toSettlement((rows[3] as SettlementRow[])[0] as SettlementRow) } }),
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    const current = await db.select({ status: settlements.status }).from(settlements).where(eq(settlements.id, id)).get();
    if (!current) throw notFound("settlement_not_found", "no such settlement");
    throw conflict("invalid_transition", `settlement is ${current.status}; ${action} needs ${t.from}`, {
      from: current.status,
      to: t.to,
    });
  }
}

/**
 * Totals recomputed from the settlement's parts (each the sum of its events), inside the invoicing
 * UPDATE. A settlement's total is a SQLite integer: past 2^63 − 1 the SUM raises an error and the
 * invoice fails instead of storing a wrong total.
 */
const fromParts = (column: "total_amount" | "item_count") =>
  sql`(SELECT COALESCE(SUM(${sql.identifier(column)}), 0) FROM settlement_parts WHERE settlement_id = ${settlements.id})`;
