/**
 * `GET /api/voucher/stats`: an issuer's own business at a glance (the portal's business area).
 * Only vouchers the verified caller issued count; every figure is aggregated in SQL, in one D1
 * round trip.
 *
 * - `vouchers`: how many of the caller's vouchers are in each status now (all time).
 * - `perDay`: per UTC day of the window, bookings made (a reschedule is not a new booking),
 *   bookings cancelled, vouchers redeemed — every day of the window listed, zeros included.
 * - `utilization`: slots booked out of slots offered in the window. Offered: the grid slots
 *   (hourly starts from `validFrom`, ending by `validUntil`) that start in the window, of every
 *   voucher of the caller that was not cancelled; booked: bookings (active or completed) whose
 *   slot starts in the window. The rate is in parts per million, rounded down (null when nothing
 *   was offered).
 *
 * @module
 */
import { and, eq, gte, isNull, lt, ne, sql } from "drizzle-orm";
import * as z from "zod";
import { VOUCHER_STATUSES, voucherBookings, vouchers } from "../db/schema";
import { callerOf } from "../http/authenticate";
import { defineRoute } from "../http/route";
import { DAY_MS, RangeQuery, daysOf, dayKey, resolveRange } from "../monitoring/time";
import { SLOT_STEP_MS } from "./slots";

const PER_DAY = sql.raw(String(DAY_MS));
const STEP = sql.raw(String(SLOT_STEP_MS));
/** An instant bound as an SQLite INTEGER (a bound JS number may arrive as REAL, and REAL division is not floor). */
const int = (n: number) => sql.raw(String(Math.trunc(n)));

const Count = z.number().int().nonnegative();

/** The answer of `GET /api/voucher/stats`. */
export const VoucherStatsResponse = z.object({
  ok: z.literal(true),
  /** The window `[from, to)` (ISO 8601). */
  from: z.string(),
  to: z.string(),
  /** The caller's vouchers by status now, and their total. */
  vouchers: z.object({ total: Count, ...Object.fromEntries(VOUCHER_STATUSES.map((s) => [s, Count])) }),
  perDay: z.array(z.object({ day: z.string(), bookings: Count, cancellations: Count, redemptions: Count })),
  utilization: z.object({ bookedSlots: Count, offeredSlots: Count, ratePpm: z.number().int().nonnegative().nullable() }),
});

export const voucherStats = defineRoute({
  id: "voucher.stats",
  method: "GET",
  path: "/api/voucher/stats",
  tag: "vouchers",
  summary:
    "The issuer's own figures: their vouchers by status, bookings / cancellations / redemptions per UTC day of the window, and utilization (booked of offered grid slots starting in the window, ppm). Window `from`/`to` as in the admin stats (default the last 30 days, at most 366).",
  auth: "verified",
  access: "read",
  query: RangeQuery,
  response: VoucherStatsResponse,
  errors: { invalid_range: "400 from is not before to, or the window exceeds 366 days" },
  async handler(ctx) {
    const me = callerOf(ctx);
    const r = resolveRange(ctx.query, ctx.now);
    const { db } = ctx;
    const V = vouchers;
    const B = voucherBookings;
    const count = sql<number>`count(*)`;
    const lo = sql`MAX(${int(r.from)}, ${V.validFrom})`;
    const hi = sql`MIN(${int(r.to - 1)}, ${V.validUntil} - ${V.durationMinutes} * 60000)`;
    const [byStatus, booked, cancelled, redeemed, offered, bookedSlots] = await ctx.read([
      db.select({ status: V.status, n: count }).from(V).where(eq(V.issuerUid, me)).groupBy(V.status),
      db
        .select({ day: sql<number>`${B.createdAt} / ${PER_DAY}`, n: count })
        .from(B)
        .where(and(eq(B.issuerUid, me), gte(B.createdAt, r.from), lt(B.createdAt, r.to), isNull(B.rescheduledFromId)))
        .groupBy(sql`1`),
      db
        .select({ day: sql<number>`${B.cancelledAt} / ${PER_DAY}`, n: count })
        .from(B)
        .where(and(eq(B.issuerUid, me), eq(B.status, "cancelled"), gte(B.cancelledAt, r.from), lt(B.cancelledAt, r.to)))
        .groupBy(sql`1`),
      // A consumed voucher changes no more: its last update is the redemption.
      db
        .select({ day: sql<number>`${V.updatedAt} / ${PER_DAY}`, n: count })
        .from(V)
        .where(and(eq(V.issuerUid, me), eq(V.status, "consumed"), gte(V.updatedAt, r.from), lt(V.updatedAt, r.to)))
        .groupBy(sql`1`),
      // Grid starts validFrom + k·step in [lo, hi]: floor((hi − vf)/step) − ceil((lo − vf)/step) + 1.
      db
        .select({
          n: sql<number>`COALESCE(SUM(CASE WHEN ${hi} >= ${lo}
            THEN (${hi} - ${V.validFrom}) / ${STEP} - (${lo} - ${V.validFrom} + ${STEP} - 1) / ${STEP} + 1 ELSE 0 END), 0)`,
        })
        .from(V)
        .where(and(eq(V.issuerUid, me), ne(V.status, "cancelled"), lt(V.validFrom, r.to), sql`${V.validUntil} > ${int(r.from)}`)),
      db
        .select({ n: count })
        .from(B)
        .where(
          and(eq(B.issuerUid, me), sql`${B.status} IN ('booked', 'completed')`, gte(B.slotStart, r.from), lt(B.slotStart, r.to)),
        ),
    ]);

    const statuses = Object.fromEntries(VOUCHER_STATUSES.map((s) => [s, 0])) as Record<(typeof VOUCHER_STATUSES)[number], number>;
    for (const row of byStatus) statuses[row.status] = row.n;
    const total = byStatus.reduce((n, row) => n + row.n, 0);
    const perDay = new Map(daysOf(r).map((day) => [day, { day, bookings: 0, cancellations: 0, redemptions: 0 }]));
    const add = (rows: Array<{ day: number; n: number }>, key: "bookings" | "cancellations" | "redemptions") => {
      for (const row of rows) {
        const d = perDay.get(dayKey(row.day * DAY_MS));
        if (d) d[key] = row.n;
      }
    };
    add(booked, "bookings");
    add(cancelled, "cancellations");
    add(redeemed, "redemptions");
    const offeredSlots = offered[0]?.n ?? 0;
    const bookedCount = bookedSlots[0]?.n ?? 0;
    return {
      body: {
        ok: true,
        from: new Date(r.from).toISOString(),
        to: new Date(r.to).toISOString(),
        vouchers: { total, ...statuses },
        perDay: [...perDay.values()],
        utilization: {
          bookedSlots: bookedCount,
          offeredSlots,
          // Integer ppm, rounded down, exact (BigInt): no float on the way.
          ratePpm: offeredSlots === 0 ? null : Number((BigInt(bookedCount) * 1_000_000n) / BigInt(offeredSlots)),
        },
      },
    };
  },
});
