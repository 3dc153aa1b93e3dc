/**
 * Admin statistics: presence, bookings and template utilization, fees and
 * settlements. SQL aggregates in D1 (one batch per route, each query an index range where the
 * window allows one), shaped by pure functions; every count is an integer, every money total a
 * decimal string summed exactly (see src/money/money.ts), ratios are integer basis points.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, rawBatch } from "../db/client";
import { type MinorTotal, exactSumSql, joinExactSum, minorTotal, toMinor } from "../money/totals";
import { DAY_MS, type Range, dayKey, daysOf, eventIdAt } from "./time";

/** How recent a heartbeat must be for an active session: the match rule's 60 s. */
export const ACTIVE_WINDOW_MS = 60_000;

/** Day number of an instant column in SQL: an integer literal, so the division stays integer. */
const PER_DAY = sql.raw(String(DAY_MS));

/** Runs read queries as one D1 batch (one round trip) and returns their rows. */
async function reads<T extends unknown[]>(db: Db, queries: SQL[]): Promise<T> {
  const results = await rawBatch(db, queries);
  return results.map((r) => r.results) as T;
}

// ── presence ──────────────────────────────────────────────────────────────────────────────────

/** `GET /api/admin/stats/presence`. */
export async function presenceStats(db: Db, now: number, top: number) {
  const since = now - ACTIVE_WINDOW_MS;
  const [active, statuses, codes] = await reads<
    [{ n: number }[], { status: string; n: number }[], { pair_code: string; sessions: number; active: number }[]]
  >(db, [
    // ix_presence_seen: a range of the last minute.
    sql`SELECT count(*) AS n FROM presence_sessions WHERE last_seen_at >= ${since} AND status = 'online'`,
    sql`SELECT status, count(*) AS n FROM presence_sessions GROUP BY status`,
    // ix_presence_pair_seen (pair_code, status, last_seen_at) covers the grouping.
    sql`SELECT pair_code, count(*) AS sessions,
          coalesce(sum(status = 'online' AND last_seen_at >= ${since}), 0) AS active
        FROM presence_sessions WHERE pair_code IS NOT NULL
        GROUP BY pair_code ORDER BY sessions DESC, pair_code LIMIT ${top}`,
  ]);
  const byStatus = { online: 0, offline: 0 };
  for (const s of statuses) if (s.status === "online" || s.status === "offline") byStatus[s.status] = s.n;
  return {
    ok: true as const,
    at: new Date(now).toISOString(),
    windowSeconds: ACTIVE_WINDOW_MS / 1000,
    activeSessions: active[0]?.n ?? 0,
    sessions: byStatus.online + byStatus.offline,
    statuses: byStatus,
    pairCodes: codes.map((c) => ({ pairCode: c.pair_code, sessions: c.sessions, active: c.active })),
  };
}

// ── vouchers ──────────────────────────────────────────────────────────────────────────────────

/** Booking actions counted per day, by their event type. */
const BOOKING_ACTIONS = { "voucher.book": "booked", "voucher.cancel": "cancelled", "voucher.reschedule": "rescheduled" } as const;
type BookingAction = (typeof BOOKING_ACTIONS)[keyof typeof BOOKING_ACTIONS];

/** One UTC day of booking activity. */
export type BookingDay = { day: string } & Record<BookingAction, number>;

/** Rows `(type, day number, n)` → one entry per day of the window, zeros included. */
export function bookingDays(range: Range, rows: ReadonlyArray<{ type: string; day: number; n: number }>): BookingDay[] {
  const days = new Map(daysOf(range).map((d) => [d, { day: d, booked: 0, cancelled: 0, rescheduled: 0 }]));
  for (const r of rows) {
    const action = BOOKING_ACTIONS[r.type as keyof typeof BOOKING_ACTIONS];
    const entry = days.get(dayKey(r.day * DAY_MS));
    if (action && entry) entry[action] += r.n;
  }
  return [...days.values()];
}

/** `part / whole` in integer basis points (10000 = 100 %), rounded down; null when `whole` is 0. */
export function basisPoints(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.floor((part * 10_000) / whole);
}

/** One template's utilization in a window. */
export interface TemplateUtilization {
  templateId: string | null;
  title: string | null;
  vouchersIssued: number;
  slotsBooked: number;
  utilizationBp: number | null;
}

/**
 * Every template (zeros included), plus vouchers without a template as `templateId: null` when
 * there are any; most issued first, then by id.
 */
export function templateUtilization(
  templates: ReadonlyArray<{ id: string; title: string }>,
  rows: ReadonlyArray<{ template_id: string | null; issued: number; booked: number }>,
): TemplateUtilization[] {
  const out = new Map<string | null, TemplateUtilization>();
  const entry = (templateId: string | null, title: string | null): TemplateUtilization => ({
    templateId,
    title,
    vouchersIssued: 0,
    slotsBooked: 0,
    utilizationBp: null,
  });
  for (const t of templates) out.set(t.id, entry(t.id, t.title));
  for (const r of rows) {
    const e = out.get(r.template_id) ?? entry(r.template_id, null);
    e.vouchersIssued += r.issued;
    e.slotsBooked += r.booked;
    out.set(r.template_id, e);
  }
  for (const e of out.values()) e.utilizationBp = basisPoints(e.slotsBooked, e.vouchersIssued);
  return [...out.values()].sort(
    (a, b) => b.vouchersIssued - a.vouchersIssued || String(a.templateId ?? "").localeCompare(String(b.templateId ?? "")),
  );
}

/** `GET /api/admin/stats/vouchers`. */
export async function voucherStats(db: Db, range: Range) {
  const [actions, templates, cohorts] = await reads<
    [
      { type: string; day: number; n: number }[],
      { id: string; title: string }[],
      { template_id: string | null; issued: number; booked: number }[],
    ]
  >(db, [
    // Booking actions are their events: one per book / cancel / reschedule, kept forever. The
    // window is an id range inside ix_events_type (type, id).
    sql`SELECT type, created_at / ${PER_DAY} AS day, count(*) AS n FROM events INDEXED BY ix_events_type
        WHERE type IN ('voucher.book', 'voucher.cancel', 'voucher.reschedule')
          AND id >= ${eventIdAt(range.from)} AND id < ${eventIdAt(range.to)}
          AND +created_at >= ${range.from} AND +created_at < ${range.to}
        GROUP BY type, day`,
    sql`SELECT id, title FROM voucher_templates ORDER BY id`,
    // The window's cohort of issued vouchers; a voucher holds a slot while its booking is
    // `booked`, and held one when it is `completed` (redeemed or expired after the slot).
    sql`SELECT v.template_id, count(*) AS issued,
          coalesce(sum(EXISTS (SELECT 1 FROM voucher_bookings b WHERE b.voucher_id = v.id
            AND b.status IN ('booked', 'completed'))), 0) AS booked
        FROM vouchers v WHERE v.created_at >= ${range.from} AND v.created_at < ${range.to}
        GROUP BY v.template_id`,
  ]);
  return {
    ok: true as const,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    bookingsPerDay: bookingDays(range, actions),
    templates: templateUtilization(templates, cohorts),
  };
}

// ── fees ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Count and sum of minor units. The sum is a decimal string ({@link MinorTotal}): it adds an
 * unbounded number of rows, so it may pass 2^53 (and 2^63), where a JSON number stops being exact.
 */
export interface Tally {
  count: number;
  amount: MinorTotal;
}

/** An amount as the SQL rows carry it: exact BigInt, a decimal string, or a safe JS integer. */
type Amount = bigint | string | number;

/** A tally while it is being added up. */
interface Acc {
  count: number;
  amount: bigint;
}

const acc = (): Acc => ({ count: 0, amount: 0n });
const tallyOf = (a: Acc): Tally => ({ count: a.count, amount: minorTotal(a.amount) });

/** One UTC day × currency of the fee ledger. */
export interface FeeDay {
  day: string;
  currency: string;
  charges: Tally;
  reversals: Tally;
  /** charges + reversals (reversals are negative). */
  net: MinorTotal;
}

/** Per-currency totals of the fee days. */
export interface FeeTotal {
  currency: string;
  charges: Tally;
  reversals: Tally;
  net: MinorTotal;
}

/** Rows `(day number, currency, kind, n, amount)` → days with fee events, by day then currency. */
export function feeDays(
  rows: ReadonlyArray<{ day: number; currency: string; kind: string; n: number; amount: Amount }>,
): FeeDay[] {
  const out = new Map<string, { day: string; currency: string; charges: Acc; reversals: Acc }>();
  for (const r of rows) {
    const day = dayKey(r.day * DAY_MS);
    const key = `${day}|${r.currency}`;
    const e = out.get(key) ?? { day, currency: r.currency, charges: acc(), reversals: acc() };
    const t = r.kind === "reversal" ? e.reversals : e.charges;
    t.count += r.n;
    t.amount += toMinor(r.amount);
    out.set(key, e);
  }
  return [...out.values()]
    .sort((a, b) => a.day.localeCompare(b.day) || a.currency.localeCompare(b.currency))
    .map((e) => ({
      day: e.day,
      currency: e.currency,
      charges: tallyOf(e.charges),
      reversals: tallyOf(e.reversals),
      net: minorTotal(e.charges.amount + e.reversals.amount),
    }));
}

/** Per currency totals of the fee days (BigInt sums of their exact amounts). */
export function feeTotals(days: readonly FeeDay[]): FeeTotal[] {
  const out = new Map<string, { charges: Acc; reversals: Acc }>();
  for (const d of days) {
    const e = out.get(d.currency) ?? { charges: acc(), reversals: acc() };
    e.charges.count += d.charges.count;
    e.charges.amount += toMinor(d.charges.amount);
    e.reversals.count += d.reversals.count;
    e.reversals.amount += toMinor(d.reversals.amount);
    out.set(d.currency, e);
  }
  return [...out.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, e]) => ({
      currency,
      charges: tallyOf(e.charges),
      reversals: tallyOf(e.reversals),
      net: minorTotal(e.charges.amount + e.reversals.amount),
    }));
}

/** Settlement totals of one currency, by status. */
export interface SettlementTotals {
  currency: string;
  open: Tally;
  invoiced: Tally;
  paid: Tally;
}

/** Rows `(currency, status, n, amount)` → per currency open / invoiced / paid. */
export function settlementTotals(
  rows: ReadonlyArray<{ currency: string; status: string; n: number; amount: Amount }>,
): SettlementTotals[] {
  const out = new Map<string, { open: Acc; invoiced: Acc; paid: Acc }>();
  for (const r of rows) {
    const e = out.get(r.currency) ?? { open: acc(), invoiced: acc(), paid: acc() };
    if (r.status === "open" || r.status === "invoiced" || r.status === "paid") {
      e[r.status].count += r.n;
      e[r.status].amount += toMinor(r.amount);
    }
    out.set(r.currency, e);
  }
  return [...out.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, e]) => ({ currency, open: tallyOf(e.open), invoiced: tallyOf(e.invoiced), paid: tallyOf(e.paid) }));
}

/**
 * `GET /api/admin/stats/fees`. Every amount is summed in SQL with {@link exactSumSql} (a window
 * may hold any number of fee events and settlements) and added up as BigInt.
 */
export async function feeStats(db: Db, range: Range) {
  const [ledger, settled] = await reads<
    [
      { day: number; currency: string; kind: string; n: number; amount: string | null }[],
      { currency: string; status: string; n: number; amount: string | null }[],
    ]
  >(db, [
    // ix_fee_events_created: the window is a range.
    sql`SELECT created_at / ${PER_DAY} AS day, currency, kind, count(*) AS n, ${exactSumSql(sql`amount`)} AS amount
        FROM fee_events WHERE created_at >= ${range.from} AND created_at < ${range.to}
        GROUP BY day, currency, kind`,
    // ix_settlements_period: settlements whose period starts in the window.
    sql`SELECT currency, status, count(*) AS n, ${exactSumSql(sql`total_amount`)} AS amount
        FROM settlements WHERE period_from >= ${range.from} AND period_from < ${range.to}
        GROUP BY currency, status`,
  ]);
  const days = feeDays(ledger.map((r) => ({ ...r, amount: joinExactSum(r.amount) })));
  return {
    ok: true as const,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    days,
    totals: feeTotals(days),
    settlements: settlementTotals(settled.map((r) => ({ ...r, amount: joinExactSum(r.amount) }))),
  };
}
