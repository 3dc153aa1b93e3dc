/**
 * Settlement administration: listing, invoicing, paying and the CSV export (issue 4 §3).
 * Status changes are compare-and-swap updates (`open → invoiced → paid`) with their event in the
 * same batch; the D1 triggers of migration 0005 refuse anything else even if code tried.
 *
 * @module
 */
import { type SQL, and, asc, eq, gt, gte, lte, sql } from "drizzle-orm";
import { abortUnlessChanged, isGuardAbort } from "../db/client";
import { newestFirst } from "../db/pagination";
import { feeEvents, settlements } from "../db/schema";
import { eventStatement } from "../events/events";
import { conflict, notFound } from "../http/errors";
import type { HandlerContext } from "../http/route";

type SettlementRow = typeof settlements.$inferSelect;
type FeeEventRow = typeof feeEvents.$inferSelect;
type Ctx<B, Q> = HandlerContext<B, Q>;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A settlement as the API shows it (instants ISO, amounts integer minor units). */
export function toSettlement(s: SettlementRow) {
  return {
    id: s.id,
    beneficiaryId: s.beneficiaryId,
    payerUid: s.payerUid,
    periodFrom: iso(s.periodFrom),
    periodTo: iso(s.periodTo),
    currency: s.currency,
    totalAmount: s.totalAmount,
    itemCount: s.itemCount,
    status: s.status,
    createdAt: iso(s.createdAt),
    updatedAt: iso(s.updatedAt),
    invoicedAt: iso(s.invoicedAt),
    paidAt: iso(s.paidAt),
  };
}

/** A fee event as the API shows it. */
export function toFeeEvent(f: FeeEventRow) {
  return {
    id: f.id,
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
    settlementId: f.settlementId,
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

/** One newest-first page of settlements. */
export async function listSettlements(ctx: Ctx<unknown, unknown>, f: SettlementFilter, page: { limit: number; cursor?: string }) {
  const p = await newestFirst(ctx.db, settlements, settlementWhere(f), page);
  return { ok: true as const, items: p.items.map(toSettlement), nextCursor: p.nextCursor };
}

/** A settlement with one page of its fee events (oldest first, cursor = last fee event id). */
export async function getSettlement(ctx: Ctx<unknown, unknown>, id: string, page: { limit: number; cursor?: string }) {
  const [[s], events] = await ctx.read([
    ctx.db.select().from(settlements).where(eq(settlements.id, id)),
    ctx.db
      .select()
      .from(feeEvents)
      // Fee event ids are time-sortable strings; the cursor is the last one seen.
      .where(
        and(
          eq(feeEvents.settlementId, id),
          inSettlementRange(sql`${id}`),
          page.cursor ? gt(feeEvents.id, page.cursor) : undefined,
        ),
      )
      .orderBy(asc(feeEvents.id))
      .limit(page.limit + 1),
  ]);
  if (!s) throw notFound("settlement_not_found", "no such settlement");
  const items = events.slice(0, page.limit);
  const last = items[items.length - 1];
  return {
    ok: true as const,
    settlement: toSettlement(s),
    feeEvents: items.map(toFeeEvent),
    nextCursor: events.length > page.limit && last ? last.id : null,
  };
}

/** The status change each admin action makes. */
const TRANSITIONS = {
  invoice: { from: "open", to: "invoiced", event: "settlement.invoice" },
  pay: { from: "invoiced", to: "paid", event: "settlement.pay" },
} as const;

/**
 * `open → invoiced` or `invoiced → paid`, by compare-and-swap. Invoicing recomputes the totals
 * from the assigned events in the same statement, so a closed settlement's totals are exact and
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
          totalAmount: sqlTotal(),
          itemCount: sqlCount(),
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
        db.select().from(settlements).where(eq(settlements.id, id)),
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
 * Where a settlement's events are: its payer's events in `[first_event_at, period_to)` (index
 * `ix_fee_events_payer`; the assignment trigger keeps every assigned event inside). There is no
 * index on `settlement_id` (see src/settlements/run.ts), so lookups by settlement go through this.
 */
function inSettlementRange(settlementId: SQL): SQL {
  // `own`, not `settlements`: inside the invoicing UPDATE the id is `"settlements"."id"` of the
  // outer row, which an unaliased inner `settlements` would shadow.
  const own = (column: string) => sql`(SELECT ${sql.identifier(column)} FROM settlements AS own WHERE own.id = ${settlementId})`;
  return sql`${feeEvents.payerUid} = ${own("payer_uid")}
    AND ${feeEvents.createdAt} >= ${own("first_event_at")} AND ${feeEvents.createdAt} < ${own("period_to")}`;
}

/** Totals recomputed from the assigned events, inside the invoicing UPDATE. */
const sqlTotal = () =>
  sql`(SELECT COALESCE(SUM(amount), 0) FROM fee_events WHERE settlement_id = ${settlements.id} AND ${inSettlementRange(sql`${settlements.id}`)})`;
const sqlCount = () =>
  sql`(SELECT COUNT(*) FROM fee_events WHERE settlement_id = ${settlements.id} AND ${inSettlementRange(sql`${settlements.id}`)})`;
