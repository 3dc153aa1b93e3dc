/**
 * Voucher and booking shapes on the wire (the original API's field names) and the status rules.
 *
 * @module
 */
import type { voucherBookings, vouchers } from "../db/schema";
import { invalidTransition } from "../core/errors";
import { jsonObject } from "../core/json";
import { slotId } from "./slots";

export type VoucherRow = typeof vouchers.$inferSelect;
export type BookingRow = typeof voucherBookings.$inferSelect;

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/** The Voucher object of the API. */
export function toVoucher(v: VoucherRow) {
  return {
    voucherId: v.id,
    issuerUid: v.issuerUid,
    holderUid: v.holderUid,
    templateId: v.templateId,
    serviceType: v.serviceType,
    title: v.title,
    description: v.description,
    durationMinutes: v.durationMinutes,
    validFrom: new Date(v.validFrom).toISOString(),
    validUntil: new Date(v.validUntil).toISOString(),
    price: v.priceAmount === null || v.priceCurrency === null ? null : { amount: v.priceAmount, currency: v.priceCurrency },
    status: v.status,
    transferable: v.transferable,
    terms: jsonObject(v.terms),
    createdAt: new Date(v.createdAt).toISOString(),
    updatedAt: new Date(v.updatedAt).toISOString(),
  };
}

/** The Booking object of the API. */
export function toBooking(b: BookingRow) {
  return {
    bookingId: b.id,
    voucherId: b.voucherId,
    issuerUid: b.issuerUid,
    holderUid: b.holderUid,
    slotId: slotId(b.slotStart),
    slotStart: new Date(b.slotStart).toISOString(),
    slotEnd: new Date(b.slotEnd).toISOString(),
    status: b.status,
    cancelReason: b.cancelReason,
    rescheduledFromId: b.rescheduledFromId,
    rescheduledToId: b.rescheduledToId,
    createdAt: new Date(b.createdAt).toISOString(),
    cancelledAt: iso(b.cancelledAt),
  };
}

/** Voucher actions and the statuses they may start from (G-B3). */
export const VOUCHER_TRANSITIONS = {
  book: { from: ["issued"], to: "booked" },
  cancel: { from: ["booked"], to: "issued" },
  reschedule: { from: ["booked"], to: "booked" },
  redeem: { from: ["issued", "booked"], to: "consumed" },
  transfer: { from: ["issued"], to: "transferred" },
} as const satisfies Record<string, { from: readonly VoucherRow["status"][]; to: string }>;

export type VoucherAction = keyof typeof VOUCHER_TRANSITIONS;

/** True if `action` is allowed from `status`. */
export function canTransition(action: VoucherAction, status: VoucherRow["status"]): boolean {
  return (VOUCHER_TRANSITIONS[action].from as readonly string[]).includes(status);
}

/** Throws 409 `invalid_transition {from, to}` unless `action` is allowed from `status`. */
export function assertTransition(action: VoucherAction, status: VoucherRow["status"]): void {
  if (!canTransition(action, status)) throw invalidTransition("voucher", status, VOUCHER_TRANSITIONS[action].to);
}
