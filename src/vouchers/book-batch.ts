/**
 * The statements of a booking, rendered once per isolate (`src/db/precompiled.ts`): booking is the
 * hottest write, and rendering its statements through the query builder on every request cost
 * more CPU than everything else the handler does. Each statement re-checks, inside the batch,
 * what the pure rules check before it (`assertBookable`), so a race can never write a booking
 * the rules would refuse.
 *
 * @module
 */
import { and, eq, sql } from "drizzle-orm";
import { ABORT_UNLESS_CHANGED, type Db, type Statement } from "../db/client";
import { precompiled, rowsOf } from "../db/precompiled";
import { events, rooms, vouchers } from "../db/schema";
import { chargeInsert } from "../fees/fees";
import { SLOT_STEP_MS } from "./slots";

/** Fee rule applied to bookings. */
export const BOOKING_FEE = "voucher.booking";

/** Values of one booking batch. */
export interface BookingValues {
  voucherId: string;
  bookingId: string;
  /** Slot start, epoch ms. */
  start: number;
  caller: string;
  now: number;
  eventId: string;
  feeEventId: string;
  /** `{voucherId, slotStart}` of the event, as JSON. */
  eventMeta: string;
  requestId: string;
  beneficiaryId: string;
}

const STEP = sql.raw(String(SLOT_STEP_MS));

// The booking row, only from a bookable voucher and a future slot of its grid. The unique
// partial indexes abort the batch here on a double booking, before any side effect.
const insertBooking = precompiled<BookingValues>((_db, p) => {
  const start = p("start");
  return sql`INSERT INTO voucher_bookings (id, voucher_id, issuer_uid, holder_uid, slot_start, slot_end, status, cancel_reason,
      origin_booking_id, rescheduled_from_id, rescheduled_to_id, created_at, cancelled_at, updated_at)
    SELECT ${p("bookingId")}, id, issuer_uid, ${p("caller")}, ${start}, ${start} + duration_minutes * 60000, 'booked', NULL,
      ${p("bookingId")}, NULL, NULL, ${p("now")}, NULL, ${p("now")}
    FROM vouchers WHERE id = ${p("voucherId")} AND status = 'issued' AND (holder_uid IS NULL OR holder_uid = ${p("caller")})
      AND ${start} >= valid_from AND (${start} - valid_from) % ${STEP} = 0
      AND ${start} + duration_minutes * 60000 <= valid_until AND ${start} > ${p("now")}`;
});

const guard = precompiled<Record<string, never>>(() => ABORT_UNLESS_CHANGED);

const markBooked = precompiled<BookingValues>((db, p) =>
  db
    .update(vouchers)
    .set({ status: "booked", holderUid: sql`${p("caller")}`, updatedAt: sql`${p("now")}` })
    .where(and(eq(vouchers.id, sql`${p("voucherId")}`), eq(vouchers.status, "issued"))),
);

const bookEvent = precompiled<BookingValues>((db, p) =>
  db.insert(events).values({
    id: sql`${p("eventId")}`,
    type: "voucher.book",
    actorUid: sql`${p("caller")}`,
    subjectType: "voucher_booking",
    subjectId: sql`${p("bookingId")}`,
    meta: sql`${p("eventMeta")}`,
    requestId: sql`${p("requestId")}`,
    createdAt: sql`${p("now")}`,
  }),
);

const charge = precompiled<BookingValues>((db, p) =>
  chargeInsert(db, {
    id: p("feeEventId"),
    feeId: BOOKING_FEE,
    subjectType: "voucher_booking",
    subjectId: p("bookingId"),
    source: sql`SELECT price_amount AS base_amount, price_currency AS base_currency, issuer_uid AS payer_uid
      FROM vouchers WHERE id = ${p("voucherId")}`,
    beneficiaryId: p("beneficiaryId"),
    now: p("now"),
  }),
);

/** The booking batch: booking row, voucher → booked (both guarded), event, fee event. */
export function bookingStatements(db: Db, v: BookingValues): Statement[] {
  return [insertBooking(db, v), guard(db, {}), markBooked(db, v), guard(db, {}), bookEvent(db, v), charge(db, v)];
}

/** The voucher's row after the batch (trailing SELECT), mapped like the query builder's rows. */
export const voucherAfter = precompiled<{ voucherId: string }>(
  (db, p) =>
    db
      .select()
      .from(vouchers)
      .where(eq(vouchers.id, sql`${p("voucherId")}`)),
  rowsOf(vouchers),
);

/** `[{id}]` when the room has been entered (registered in D1), `[]` otherwise. */
export const roomProbe = precompiled<{ roomId: string }>(
  (db, p) =>
    db
      .select({ id: rooms.id })
      .from(rooms)
      .where(eq(rooms.id, sql`${p("roomId")}`)),
  (r) => r.results ?? [],
);
