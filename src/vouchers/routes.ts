/**
 * Route declarations of the voucher & slot API (the original routes, plus list, templates,
 * reschedule, redeem and transfer). Handlers stay small: reads are here, state changes in
 * `actions.ts`.
 *
 * @module
 */
import { and, eq, or } from "drizzle-orm";
import * as z from "zod";
import { newestFirst } from "../db/pagination";
import { voucherBookings, voucherTemplates, vouchers } from "../db/schema";
import { notFound } from "../core/errors";
import { defineRoute } from "../http/route";
import {
  COMPAT_NO_IDENTITY,
  bookVoucher,
  cancelBooking,
  issueVoucher,
  redeemVoucher,
  rescheduleBooking,
  transferVoucher,
} from "./actions";
import { toBooking, toVoucher } from "./model";
import {
  BookBody,
  BookingsQuery,
  CancelBody,
  IssueBody,
  ListQuery,
  RedeemBody,
  RescheduleBody,
  SlotsQuery,
  TransferBody,
} from "./schemas";
import { freeSlots, freeStarts, isoInstant, slotId } from "./slots";

// Response schemas, for the OpenAPI document.
const PriceOut = z.object({ amount: z.number().int(), currency: z.string() }).nullable();
const VoucherOut = z.object({
  voucherId: z.string(),
  issuerUid: z.string(),
  holderUid: z.string().nullable(),
  templateId: z.string().nullable(),
  serviceType: z.string(),
  title: z.string(),
  description: z.string(),
  durationMinutes: z.number().int(),
  validFrom: z.string(),
  validUntil: z.string(),
  price: PriceOut,
  status: z.enum(["issued", "booked", "consumed", "cancelled", "expired"]),
  transferable: z.boolean(),
  terms: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const BookingOut = z.object({
  bookingId: z.string(),
  voucherId: z.string(),
  issuerUid: z.string(),
  holderUid: z.string(),
  slotId: z.string(),
  slotStart: z.string(),
  slotEnd: z.string(),
  status: z.enum(["booked", "cancelled", "rescheduled", "completed"]),
  cancelReason: z.string().nullable(),
  rescheduledFromId: z.string().nullable(),
  rescheduledToId: z.string().nullable(),
  createdAt: z.string(),
  cancelledAt: z.string().nullable(),
});
const ok = z.literal(true);
const Page = <T extends z.ZodType>(item: T) => z.object({ ok, items: z.array(item), nextCursor: z.string().nullable() });

const TRANSITION_ERRORS = { invalid_transition: "409 status does not allow this action ({from, to} in details)" };
const NOT_FOUND = { voucher_not_found: "404" };
const RACE = { concurrent_update: "409 the voucher changed while the request ran; retry" };

export const issue = defineRoute({
  id: "voucher.issue",
  method: "POST",
  path: "/api/voucher/issue",
  tag: "vouchers",
  summary: "Issue a voucher (issuerUid must be the caller; optional templateId fills defaults).",
  auth: "required",
  access: "write",
  body: IssueBody,
  response: z.object({ ok, voucher: VoucherOut }),
  errors: { voucher_exists: "409 voucherId taken", unknown_template: "400", invalid_validity: "400" },
  claims: ({ body }) => [body.issuerUid],
  handler: issueVoucher,
});

export const list = defineRoute({
  id: "voucher.list",
  method: "GET",
  path: "/api/voucher/list",
  tag: "vouchers",
  summary: "Vouchers the caller issued or holds, newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: ListQuery,
  response: Page(VoucherOut),
  claims: ({ query }) => [query.issuerUid, query.holderUid],
  async handler({ query: q, db, caller }) {
    const me = caller ?? "";
    const mine =
      q.issuerUid || q.holderUid
        ? and(q.issuerUid ? eq(vouchers.issuerUid, me) : undefined, q.holderUid ? eq(vouchers.holderUid, me) : undefined)
        : or(eq(vouchers.issuerUid, me), eq(vouchers.holderUid, me));
    const p = await newestFirst(db, vouchers, and(mine, q.status ? eq(vouchers.status, q.status) : undefined), q);
    return { body: { ok: true, items: p.items.map(toVoucher), nextCursor: p.nextCursor } };
  },
});

export const templates = defineRoute({
  id: "voucher.templates",
  method: "GET",
  path: "/api/voucher/templates",
  tag: "vouchers",
  summary: "The voucher templates (service types with default duration and terms).",
  auth: "none",
  access: "read",
  response: z.object({
    ok,
    items: z.array(
      z.object({
        templateId: z.string(),
        serviceType: z.string(),
        title: z.string(),
        description: z.string(),
        durationMinutes: z.number().int(),
        terms: z.record(z.string(), z.unknown()),
      }),
    ),
  }),
  async handler({ db }) {
    const rows = await db.select().from(voucherTemplates).orderBy(voucherTemplates.id).all();
    const items = rows.map((t) => ({
      templateId: t.id,
      serviceType: t.serviceType,
      title: t.title,
      description: t.description,
      durationMinutes: t.defaultDuration,
      terms: JSON.parse(t.defaultTerms) as Record<string, unknown>,
    }));
    return { body: { ok: true, items } };
  },
});

export const slotsAvailable = defineRoute({
  id: "slots.available",
  method: "GET",
  path: "/api/slots/available",
  tag: "vouchers",
  summary:
    "Free future slots of a voucher on its hourly grid (paginated with from/limit); format=compact lists the same page as start instants only.",
  auth: "optional",
  access: "read",
  query: SlotsQuery,
  response: z.union([
    z.object({
      ok,
      items: z.array(z.object({ slotId: z.string(), voucherId: z.string(), start: z.string(), end: z.string() })),
      nextSlotId: z.string().nullable(),
    }),
    z.object({
      ok,
      voucherId: z.string(),
      durationMinutes: z.number().int(),
      starts: z.array(z.string()),
      nextSlotId: z.string().nullable(),
    }),
  ]),
  errors: { voucher_not_found: "404" },
  async handler({ query: q, db, now, read }) {
    const [voucherRows, bookedRows] = await read([
      db.select().from(vouchers).where(eq(vouchers.id, q.voucherId)),
      db
        .select({ start: voucherBookings.slotStart })
        .from(voucherBookings)
        .where(and(eq(voucherBookings.voucherId, q.voucherId), eq(voucherBookings.status, "booked"))),
    ]);
    const v = voucherRows[0];
    if (!v) throw notFound("voucher_not_found", "voucher not found");
    // An issued voucher can be booked and a booked one rescheduled; other statuses have no free slot.
    const booked = new Set(bookedRows.map((r) => r.start));
    const open = v.status === "issued" || v.status === "booked";
    const page = { from: q.from, limit: q.limit };
    if (q.format === "compact") {
      const { starts, next } = open ? freeStarts(v, booked, now, page) : { starts: [], next: null };
      const nextSlotId = next === null ? null : slotId(next);
      return {
        body: { ok: true, voucherId: v.id, durationMinutes: v.durationMinutes, starts: starts.map(isoInstant), nextSlotId },
      };
    }
    const { items, next } = open ? freeSlots(v, booked, now, page) : { items: [], next: null };
    return { body: { ok: true, items, nextSlotId: next === null ? null : slotId(next) } };
  },
});

export const book = defineRoute({
  id: "voucher.book",
  method: "POST",
  path: "/api/voucher/book",
  tag: "vouchers",
  summary: "Book one free future slot of a voucher (one active booking per voucher and per slot).",
  auth: "required",
  access: "write",
  body: BookBody,
  response: z.object({ ok, booking: BookingOut, voucher: VoucherOut }),
  errors: {
    slot_taken: "409",
    voucher_already_booked: "409",
    not_holder: "403",
    invalid_slot: "400",
    slot_in_past: "400",
    ...NOT_FOUND,
    ...RACE,
    ...TRANSITION_ERRORS,
  },
  claims: ({ body }) => [body.holderUid],
  handler: bookVoucher,
});

export const cancel = defineRoute({
  id: "voucher.cancel",
  method: "POST",
  path: "/api/voucher/cancel",
  tag: "vouchers",
  summary:
    'Cancel a booking (holder or issuer); frees the slot, reverses the fee. Repeat → alreadyCancelled. AUTH_MODE=compat also accepts the original body `{bookingId, reason}` with no identity at all (recorded with no actor, meta `asserted: "none"`); strict mode requires a session.',
  auth: "required",
  access: "write",
  body: CancelBody,
  // AUTH_MODE=compat only, and only when the request names nobody: the original portal's cancel.
  asserts: () => COMPAT_NO_IDENTITY,
  response: z.object({ ok, alreadyCancelled: z.boolean(), booking: BookingOut, voucher: VoucherOut.nullable() }),
  errors: { booking_not_found: "404", not_allowed: "403", ...NOT_FOUND, ...TRANSITION_ERRORS },
  handler: cancelBooking,
});

export const bookings = defineRoute({
  id: "voucher.bookings",
  method: "GET",
  path: "/api/voucher/bookings",
  tag: "vouchers",
  summary: "The caller's bookings (as holder or issuer), newest first, cursor-paginated.",
  auth: "required",
  access: "read",
  query: BookingsQuery,
  response: Page(BookingOut),
  claims: ({ query }) => [query.holderUid, query.issuerUid],
  async handler({ query: q, db, caller }) {
    const me = caller ?? "";
    const mine =
      q.holderUid || q.issuerUid
        ? and(
            q.holderUid ? eq(voucherBookings.holderUid, me) : undefined,
            q.issuerUid ? eq(voucherBookings.issuerUid, me) : undefined,
          )
        : or(eq(voucherBookings.holderUid, me), eq(voucherBookings.issuerUid, me));
    const p = await newestFirst(
      db,
      voucherBookings,
      and(mine, q.voucherId ? eq(voucherBookings.voucherId, q.voucherId) : undefined),
      q,
    );
    return { body: { ok: true, items: p.items.map(toBooking), nextCursor: p.nextCursor } };
  },
});

export const reschedule = defineRoute({
  id: "voucher.reschedule",
  method: "POST",
  path: "/api/voucher/reschedule",
  tag: "vouchers",
  summary: "Move a booking to another free slot atomically (holder or issuer).",
  auth: "required",
  access: "write",
  body: RescheduleBody,
  response: z.object({ ok, booking: BookingOut, previous: BookingOut, voucher: VoucherOut }),
  errors: {
    slot_taken: "409",
    booking_not_found: "404",
    not_allowed: "403",
    invalid_slot: "400",
    slot_in_past: "400",
    ...NOT_FOUND,
    ...TRANSITION_ERRORS,
  },
  handler: rescheduleBooking,
});

export const redeem = defineRoute({
  id: "voucher.redeem",
  method: "POST",
  path: "/api/voucher/redeem",
  tag: "vouchers",
  summary: "The issuer marks a voucher consumed.",
  auth: "required",
  access: "write",
  body: RedeemBody,
  response: z.object({ ok, voucher: VoucherOut }),
  errors: { not_issuer: "403", ...NOT_FOUND, ...RACE, ...TRANSITION_ERRORS },
  handler: redeemVoucher,
});

export const transfer = defineRoute({
  id: "voucher.transfer",
  method: "POST",
  path: "/api/voucher/transfer",
  tag: "vouchers",
  summary: "The holder transfers an unbooked, transferable voucher to another uid.",
  auth: "required",
  access: "write",
  body: TransferBody,
  response: z.object({ ok, voucher: VoucherOut }),
  errors: { not_holder: "403", not_transferable: "409", same_holder: "400", ...NOT_FOUND, ...RACE, ...TRANSITION_ERRORS },
  handler: transferVoucher,
});
