/**
 * Voucher queries (reads only; writes are built by the actions as batch statements).
 *
 * @module
 */
import { and, desc, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { voucherBookings, vouchers } from "../db/schema";

/** A voucher by id. */
export const getVoucher = (db: Db, id: string) => db.select().from(vouchers).where(eq(vouchers.id, id)).get();

/** A booking by id. */
export const getBooking = (db: Db, id: string) => db.select().from(voucherBookings).where(eq(voucherBookings.id, id)).get();

/** The active (`booked`) booking of a voucher, if any. */
export const activeBooking = (db: Db, voucherId: string) =>
  db
    .select()
    .from(voucherBookings)
    .where(and(eq(voucherBookings.voucherId, voucherId), eq(voucherBookings.status, "booked")))
    .get();

/** The newest booking of a voucher, whatever its status. */
export const latestBooking = (db: Db, voucherId: string) =>
  db
    .select()
    .from(voucherBookings)
    .where(eq(voucherBookings.voucherId, voucherId))
    .orderBy(desc(voucherBookings.createdAt), desc(voucherBookings.id))
    .limit(1)
    .get();
