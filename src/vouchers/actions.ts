/**
 * Voucher state changes. Each action reads what it needs, decides with the pure rules in
 * `model.ts`/`slots.ts`, then writes everything (rows, compare-and-swap status change, event, fee
 * event, idempotency record) in ONE D1 batch. The reads only shape good error messages: every
 * decision is repeated inside the batch (CAS conditions, unique partial indexes), so a race
 * can never write a state the reads would have refused.
 *
 * @module
 */
import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { type Statement, abortUnlessChanged, isGuardAbort, isUniqueViolation } from "../db/client";
import { newId } from "../db/ids";
import { voucherBookings, voucherTemplates, vouchers } from "../db/schema";
import { eventStatement } from "../events/events";
import { isRoomId } from "../rooms/room-id";
import { pushAfterCommit } from "../rooms/stub";
import { reversalStatement } from "../fees/fees";
import { AppError, badRequest, conflict, forbidden, notFound } from "../core/errors";
import { callerOf } from "../http/authenticate";
import type { HandlerContext, HandlerResult } from "../http/route";
import { type BookingRow, type VoucherRow, assertTransition, toBooking, toVoucher } from "./model";
import { activeBooking, getBooking, getVoucher, latestBooking } from "./repo";
import { bookingStatements, roomProbe, voucherAfter } from "./book-batch";
import type { BookBody, CancelBody, IssueBody, RedeemBody, RescheduleBody, TransferBody } from "./schemas";
import { parseSlotId, slotProblem } from "./slots";
import { VOUCHER_PREFIX } from "../../public/room-protocol.js";

type Ctx<B> = HandlerContext<B, undefined>;

const DEFAULT_VALIDITY_MS = 7 * 24 * 3600 * 1000;
/** Longest validity window: bounds the slot grid at 8 784 hourly slots. */
const MAX_VALIDITY_MS = 366 * 24 * 3600 * 1000;
export { BOOKING_FEE } from "./book-batch";

const voucherNotFound = () => notFound("voucher_not_found", "voucher not found");
const bookingNotFound = () => notFound("booking_not_found", "booking not found");

/** `POST /api/voucher/issue` */
export async function issueVoucher(ctx: Ctx<z.output<typeof IssueBody>>): Promise<HandlerResult> {
  const { body: b, db, now, caller } = ctx;
  const template = b.templateId
    ? await db.select().from(voucherTemplates).where(eq(voucherTemplates.id, b.templateId)).get()
    : undefined;
  if (b.templateId && !template) throw badRequest("unknown_template", `no voucher template ${b.templateId}`);
  const validFrom = b.validFrom ?? now;
  const validUntil = b.validUntil ?? validFrom + DEFAULT_VALIDITY_MS;
  const durationMinutes = b.durationMinutes ?? template?.defaultDuration ?? 60;
  if (validFrom >= validUntil) throw badRequest("invalid_validity", "validFrom must be before validUntil");
  if (validUntil - validFrom > MAX_VALIDITY_MS) throw badRequest("invalid_validity", "validity may span at most 366 days");
  if (durationMinutes * 60_000 > validUntil - validFrom) {
    throw badRequest("invalid_validity", "durationMinutes does not fit into the validity window");
  }
  const row: VoucherRow = {
    id: b.voucherId ?? newId("v", now),
    issuerUid: caller ?? b.issuerUid,
    holderUid: b.holderUid ?? null,
    templateId: template?.id ?? null,
    serviceType: b.serviceType ?? template?.serviceType ?? "generic.service",
    title: b.title ?? template?.title ?? "Unbenannter Service",
    description: b.description ?? template?.description ?? "",
    durationMinutes,
    validFrom,
    validUntil,
    priceAmount: b.price?.amount ?? null,
    priceCurrency: b.price?.currency ?? null,
    status: "issued",
    transferable: b.transferable ?? true,
    terms: JSON.stringify(b.terms ?? (template ? JSON.parse(template.defaultTerms) : {})),
    createdAt: now,
    updatedAt: now,
  };
  const event = voucherEvent(ctx, "voucher.issue", row.id, { serviceType: row.serviceType, templateId: row.templateId });
  try {
    return await ctx.commit([db.insert(vouchers).values(row), event], { body: { ok: true, voucher: toVoucher(row) } });
  } catch (err) {
    if (isUniqueViolation(err, "vouchers", "id")) throw conflict("voucher_exists", `voucher id ${row.id} is taken`);
    throw err;
  }
}

/**
 * `POST /api/voucher/book`. Without an Idempotency-Key this is ONE D1 round trip: the booking is
 * an INSERT…SELECT from the voucher row that only matches a bookable voucher and a future slot
 * of its grid, the fee is computed in SQL from the voucher's price and the rule, and a trailing
 * SELECT returns the new state. Only when the batch refuses does a read explain why. With a key,
 * the voucher is read first so the response (stored in the same batch) is known beforehand.
 */
export async function bookVoucher(ctx: Ctx<z.output<typeof BookBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const start = parseSlotId(b.slotId);
  if (start === null) throw badRequest("invalid_slot", "slotId must be slot-<ISO-8601 instant>");
  const bookingId = newId("b", now);
  const eventId = newId("ev", now);
  const writes = bookingWrites(ctx, b.voucherId, bookingId, start, caller, eventId);
  const push: VoucherPush = {
    eventId,
    type: "voucher.book",
    subject: bookingId,
    data: { voucherId: b.voucherId, bookingId, holderUid: caller, slotStart: isoOf(start) },
  };
  try {
    if (ctx.idempotent) {
      const [[v]] = await ctx.read([db.select().from(vouchers).where(eq(vouchers.id, b.voucherId))]);
      await assertBookable(ctx, v, start, caller);
      const after = { ...(v as VoucherRow), status: "booked" as const, holderUid: caller, updatedAt: now };
      return await commitAndPush(ctx, writes, bookResult(after, bookingId, start, now), push);
    }
    const selectAfter = voucherAfter(db, { voucherId: b.voucherId });
    return await commitAndPush(
      ctx,
      [...writes, selectAfter],
      (rows) => {
        const [after] = rows[rows.length - 1] as VoucherRow[];
        if (!after) throw new Error("booked voucher vanished");
        return bookResult(after, bookingId, start, now);
      },
      push,
    );
  } catch (err) {
    if (isUniqueViolation(err, "voucher_bookings")) throw await bookedConflict(ctx, b.voucherId, start);
    if (isGuardAbort(err)) {
      // Refused inside the batch: the pure rules name the reason against the current row.
      await assertBookable(ctx, await getVoucher(db, b.voucherId), start, caller);
      throw conflict("concurrent_update", "the voucher changed while the request ran; retry");
    }
    throw err;
  }
}

/** The booking batch (rendered once per isolate, see `book-batch.ts`). */
function bookingWrites(ctx: Ctx<unknown>, voucherId: string, bookingId: string, start: number, caller: string, eventId: string) {
  return bookingStatements(ctx.db, {
    voucherId,
    bookingId,
    start,
    caller,
    now: ctx.now,
    eventId,
    feeEventId: newId("fe", ctx.now),
    eventMeta: JSON.stringify({ voucherId, slotStart: isoOf(start) }),
    requestId: ctx.requestId,
    beneficiaryId: ctx.config.platformId,
  });
}

/** Throws the reason a voucher cannot be booked at `start` by `caller` (nothing if it can). */
async function assertBookable(ctx: Ctx<unknown>, v: VoucherRow | undefined, start: number, caller: string): Promise<void> {
  if (!v) throw voucherNotFound();
  // A booked voucher answers with the booking conflict first: a late racer learns the slot is gone.
  if (v.status === "booked") throw await bookedConflict(ctx, v.id, start);
  if (v.holderUid && v.holderUid !== caller) throw forbidden("not_holder", "only the voucher's holder may book it");
  assertTransition("book", v.status);
  checkSlot(v, start, ctx.now);
}

/** `{ok, booking, voucher}` from the voucher's state after the booking. */
function bookResult(after: VoucherRow, bookingId: string, start: number, now: number): HandlerResult {
  const booking: BookingRow = {
    id: bookingId,
    voucherId: after.id,
    issuerUid: after.issuerUid,
    holderUid: after.holderUid ?? "",
    slotStart: start,
    slotEnd: start + after.durationMinutes * 60_000,
    status: "booked",
    cancelReason: null,
    originBookingId: bookingId,
    rescheduledFromId: null,
    rescheduledToId: null,
    createdAt: now,
    cancelledAt: null,
    updatedAt: now,
  };
  return { body: { ok: true, booking: toBooking(booking), voucher: toVoucher(after) } };
}

/**
 * The caller the cancel route asserts under AUTH_MODE=compat when a request carries no session and
 * names no uid: the original portal cancels with `{bookingId, reason}` alone. Not a uid (uids never
 * contain `:`), so it can match no holder or issuer; {@link cancelBooking} recognises it.
 */
export const COMPAT_NO_IDENTITY = "compat:none";

/** `POST /api/voucher/cancel` */
export async function cancelBooking(ctx: Ctx<z.output<typeof CancelBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  // AUTH_MODE=compat, no identity at all: accepted as the original did (the booking id is the only
  // proof), recorded with no actor and `asserted: "none"`. Strict mode never gets here without a
  // session (the route requires one).
  const anonymous = !ctx.verified && ctx.caller === COMPAT_NO_IDENTITY && ctx.config.authMode === "compat";
  const caller = anonymous ? null : callerOf(ctx);
  const booking = b.bookingId
    ? await getBooking(db, b.bookingId)
    : ((await activeBooking(db, b.voucherId ?? "")) ?? (await latestBooking(db, b.voucherId ?? "")));
  if (!booking || (b.voucherId && booking.voucherId !== b.voucherId)) throw bookingNotFound();
  if (!anonymous && caller !== booking.holderUid && caller !== booking.issuerUid) {
    throw forbidden("not_allowed", "only the booking's holder or the voucher's issuer may cancel it");
  }
  if (booking.status === "cancelled") return alreadyCancelled(ctx, booking);
  if (booking.status !== "booked") throw bookingTransition(booking.status, "cancelled");

  const reason = b.reason ?? null;
  const cancelled: BookingRow = { ...booking, status: "cancelled", cancelReason: reason, cancelledAt: now, updatedAt: now };
  const v = await getVoucher(db, booking.voucherId);
  if (!v) throw voucherNotFound();
  const after: VoucherRow = { ...v, status: "issued", updatedAt: now };
  const eventId = newId("ev", now);
  try {
    return await commitAndPush(
      ctx,
      [
        db
          .update(voucherBookings)
          .set({ status: "cancelled", cancelReason: reason, cancelledAt: now, updatedAt: now })
          .where(and(eq(voucherBookings.id, booking.id), eq(voucherBookings.status, "booked"))),
        abortUnlessChanged(db),
        // The voucher goes back to `issued` and stays with its holder.
        db
          .update(vouchers)
          .set({ status: "issued", updatedAt: now })
          .where(and(eq(vouchers.id, booking.voucherId), eq(vouchers.status, "booked"))),
        abortUnlessChanged(db),
        voucherEvent(
          anonymous ? { ...ctx, caller: null } : ctx,
          "voucher.cancel",
          booking.id,
          { voucherId: booking.voucherId, reason, ...(anonymous ? { asserted: "none" } : {}) },
          "voucher_booking",
          eventId,
        ),
        reversalStatement(db, "voucher_booking", booking.originBookingId, now),
      ],
      { body: { ok: true, alreadyCancelled: false, booking: toBooking(cancelled), voucher: toVoucher(after) } },
      {
        eventId,
        type: "voucher.cancel",
        subject: booking.id,
        data: { voucherId: booking.voucherId, bookingId: booking.id, reason },
      },
    );
  } catch (err) {
    if (!isGuardAbort(err)) throw err;
    // Lost a race: a concurrent cancel is a success without side effects, anything else a conflict.
    const now2 = await getBooking(db, booking.id);
    if (now2?.status === "cancelled") return alreadyCancelled(ctx, now2);
    if (now2?.status === "booked") {
      // The booking is still active, so the voucher's compare-and-swap failed (e.g. the voucher
      // expired or was cancelled): report the voucher's state, not the booking's.
      const cur = await getVoucher(db, booking.voucherId);
      if (cur) assertTransition("cancel", cur.status);
    }
    throw bookingTransition(now2?.status ?? "unknown", "cancelled");
  }
}

/** `POST /api/voucher/reschedule` */
export async function rescheduleBooking(ctx: Ctx<z.output<typeof RescheduleBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const start = parseSlotId(b.slotId);
  if (start === null) throw badRequest("invalid_slot", "slotId must be slot-<ISO-8601 instant>");
  const old = await getBooking(db, b.bookingId);
  if (!old) throw bookingNotFound();
  if (caller !== old.holderUid && caller !== old.issuerUid) {
    throw forbidden("not_allowed", "only the booking's holder or the voucher's issuer may reschedule it");
  }
  if (old.status !== "booked") throw bookingTransition(old.status, "rescheduled");
  const v = await getVoucher(db, old.voucherId);
  if (!v) throw voucherNotFound();
  assertTransition("reschedule", v.status);
  checkSlot(v, start, now);
  if (start === old.slotStart) throw conflict("slot_taken", "the booking already holds this slot");

  const next: BookingRow = {
    ...old,
    id: newId("b", now),
    slotStart: start,
    slotEnd: start + v.durationMinutes * 60_000,
    rescheduledFromId: old.id,
    rescheduledToId: null,
    createdAt: now,
    updatedAt: now,
  };
  const eventId = newId("ev", now);
  const pushData = {
    voucherId: v.id,
    bookingId: next.id,
    fromBookingId: old.id,
    fromSlotStart: isoOf(old.slotStart),
    slotStart: isoOf(start),
  };
  try {
    return await commitAndPush(
      ctx,
      [
        db
          .update(voucherBookings)
          .set({ status: "rescheduled", rescheduledToId: next.id, updatedAt: now })
          .where(and(eq(voucherBookings.id, old.id), eq(voucherBookings.status, "booked"))),
        abortUnlessChanged(db),
        db.insert(voucherBookings).values(next),
        voucherEvent(
          ctx,
          "voucher.reschedule",
          next.id,
          { voucherId: v.id, fromBookingId: old.id, fromSlotStart: isoOf(old.slotStart), slotStart: isoOf(start) },
          "voucher_booking",
          eventId,
        ),
      ],
      {
        body: {
          ok: true,
          booking: toBooking(next),
          previous: toBooking({ ...old, status: "rescheduled", rescheduledToId: next.id, updatedAt: now }),
          voucher: toVoucher(v),
        },
      },
      { eventId, type: "voucher.reschedule", subject: next.id, data: pushData },
    );
  } catch (err) {
    if (isUniqueViolation(err, "voucher_bookings")) throw conflict("slot_taken", "this slot is already booked");
    if (isGuardAbort(err)) {
      const cur = await getBooking(db, old.id);
      throw bookingTransition(cur?.status ?? "unknown", "rescheduled");
    }
    throw err;
  }
}

/** `POST /api/voucher/redeem`: the issuer marks the voucher consumed. */
export async function redeemVoucher(ctx: Ctx<z.output<typeof RedeemBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const v = await getVoucher(db, b.voucherId);
  if (!v) throw voucherNotFound();
  if (v.issuerUid !== caller) throw forbidden("not_issuer", "only the voucher's issuer may redeem it");
  assertTransition("redeem", v.status);
  const after: VoucherRow = { ...v, status: "consumed", updatedAt: now };
  try {
    return await ctx.commit(
      [
        db
          .update(vouchers)
          .set({ status: "consumed", updatedAt: now })
          .where(and(eq(vouchers.id, v.id), eq(vouchers.status, v.status))),
        abortUnlessChanged(db),
        db
          .update(voucherBookings)
          .set({ status: "completed", updatedAt: now })
          .where(and(eq(voucherBookings.voucherId, v.id), eq(voucherBookings.status, "booked"))),
        voucherEvent(ctx, "voucher.redeem", v.id, { fromStatus: v.status }),
      ],
      { body: { ok: true, voucher: toVoucher(after) } },
    );
  } catch (err) {
    if (isGuardAbort(err)) throw await staleVoucher(ctx, v.id, "redeem");
    throw err;
  }
}

/** `POST /api/voucher/transfer`: the holder hands an unbooked, transferable voucher to another uid. */
export async function transferVoucher(ctx: Ctx<z.output<typeof TransferBody>>): Promise<HandlerResult> {
  const { body: b, db, now } = ctx;
  const caller = callerOf(ctx);
  const v = await getVoucher(db, b.voucherId);
  if (!v) throw voucherNotFound();
  if (v.holderUid !== caller) throw forbidden("not_holder", "only the voucher's holder may transfer it");
  if (!v.transferable) throw conflict("not_transferable", "this voucher is not transferable");
  assertTransition("transfer", v.status);
  if (b.toUid === caller) throw badRequest("same_holder", "toUid is already the holder");
  const after: VoucherRow = { ...v, holderUid: b.toUid, updatedAt: now };
  try {
    return await ctx.commit(
      [
        db
          .update(vouchers)
          .set({ holderUid: b.toUid, updatedAt: now })
          .where(
            and(
              eq(vouchers.id, v.id),
              eq(vouchers.status, "issued"),
              eq(vouchers.holderUid, caller),
              eq(vouchers.transferable, true),
            ),
          ),
        abortUnlessChanged(db),
        voucherEvent(ctx, "voucher.transfer", v.id, { fromUid: caller, toUid: b.toUid }),
      ],
      { body: { ok: true, voucher: toVoucher(after) } },
    );
  } catch (err) {
    if (isGuardAbort(err)) throw await staleVoucher(ctx, v.id, "transfer");
    throw err;
  }
}

// ── helpers ──────────────────────────────────────────────────────────────────────────────────

const isoOf = (t: number) => new Date(t).toISOString();

function voucherEvent(
  ctx: Ctx<unknown>,
  type: string,
  subjectId: string,
  meta: Record<string, unknown>,
  subjectType = "voucher",
  id?: string,
) {
  return eventStatement(ctx.db, {
    ...(id ? { id } : {}),
    type,
    actorUid: ctx.caller,
    subjectType,
    subjectId,
    meta,
    requestId: ctx.requestId,
    now: ctx.now,
  });
}

/** A booking change's event, pushed into the room `voucher:<data.voucherId>` as an `event` frame. */
interface VoucherPush {
  /** The id of the `events` row written in the batch: the Room deduplicates retried pushes by it. */
  eventId: string;
  type: string;
  subject: string;
  data: { voucherId: string } & Record<string, string | null>;
}

/**
 * Commits a booking change (`ctx.commit`) and then pushes its event into `voucher:<data.voucherId>` —
 * only if that room has been entered at least once (its D1 `rooms` row, registered by the first
 * socket into it, is read in the same batch). A room nobody ever opened has no one to tell, and
 * waking one Durable Object per booking for nothing halved booking throughput (`npm run bench`).
 * `result`, when a function, sees the statements' rows without the probe. The push never fails the
 * request (see `pushAfterCommit`).
 */
async function commitAndPush<R extends HandlerResult>(
  ctx: Ctx<unknown>,
  statements: Statement[],
  result: R | ((rows: unknown[]) => R),
  push: VoucherPush,
): Promise<R> {
  const roomId = `${VOUCHER_PREFIX}${push.data.voucherId}`;
  if (!isRoomId(roomId)) return ctx.commit(statements, result);
  let entered = false;
  const probe = roomProbe(ctx.db, { roomId });
  const res = await ctx.commit(
    [...statements, probe],
    typeof result === "function" ? (rows) => result(rows.slice(0, -1)) : result,
    (rows) => {
      entered = ((rows[rows.length - 1] ?? []) as unknown[]).length > 0;
    },
  );
  if (entered) await pushAfterCommit(ctx, roomId, push);
  return res;
}

function checkSlot(v: VoucherRow, start: number, now: number): void {
  const problem = slotProblem(v, start, now);
  if (problem === "not_on_grid") throw badRequest("invalid_slot", "slot is not on this voucher's slot grid");
  if (problem === "in_past") throw badRequest("slot_in_past", "slot has already started");
}

/** Which 409 a booked voucher deserves: the requested slot itself is taken, or another one is. */
async function bookedConflict(ctx: Ctx<unknown>, voucherId: string, start: number): Promise<AppError> {
  const active = await activeBooking(ctx.db, voucherId);
  if (!active || active.slotStart === start) return conflict("slot_taken", "this slot is already booked");
  return conflict("voucher_already_booked", "this voucher already has an active booking");
}

/** After a failed CAS: report the transition against the voucher's current state. */
async function staleVoucher(ctx: Ctx<unknown>, id: string, action: "book" | "redeem" | "transfer"): Promise<AppError> {
  const cur = await getVoucher(ctx.db, id);
  if (!cur) return voucherNotFound();
  try {
    assertTransition(action, cur.status);
  } catch (e) {
    if (e instanceof AppError) return e;
  }
  return conflict("concurrent_update", "the voucher changed while the request ran; retry");
}

function bookingTransition(from: string, to: string): AppError {
  return conflict("invalid_transition", `booking cannot go from ${from} to ${to}`, { from, to });
}

async function alreadyCancelled(ctx: Ctx<unknown>, booking: BookingRow): Promise<HandlerResult> {
  const v = await getVoucher(ctx.db, booking.voucherId);
  return { body: { ok: true, alreadyCancelled: true, booking: toBooking(booking), voucher: v ? toVoucher(v) : null } };
}
