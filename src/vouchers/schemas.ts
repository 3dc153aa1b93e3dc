/**
 * Request schemas of the voucher routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { Price } from "../money/money";

/** A client-chosen or generated voucher id. */
export const VoucherId = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, "must be 1-80 characters of A-Z a-z 0-9 . _ : -");
const BookingId = z.string().regex(/^[A-Za-z0-9._:-]{1,80}$/, "must be a booking id");
const SlotIdText = z.string().min(1).max(64);
/** An ISO-8601 instant with offset, e.g. `2026-12-01T10:00:00Z`. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const JsonObject = z
  .record(z.string(), z.unknown())
  .refine((o) => JSON.stringify(o).length <= 4096, { message: "must serialise to at most 4096 bytes" });

export const IssueBody = z.strictObject({
  issuerUid: Uid,
  voucherId: VoucherId.optional(),
  templateId: z.string().min(1).max(64).optional(),
  serviceType: z
    .string()
    .regex(/^[a-z0-9._-]{1,64}$/, "must be a lower-case service key, e.g. consulting.session")
    .optional(),
  title: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
  durationMinutes: z.number().int().min(1).max(1440).optional(),
  validFrom: Instant.optional(),
  validUntil: Instant.optional(),
  price: Price.nullable().optional(),
  transferable: z.boolean().optional(),
  terms: JsonObject.optional(),
  holderUid: Uid.nullable().optional(),
  /** Accepted for compatibility only as "issued": a client cannot choose a status. */
  status: z.literal("issued", { message: 'a client cannot set status (only "issued" is accepted)' }).optional(),
});

const Limit = LimitParam;
const Cursor = CursorParam;

export const ListQuery = z.strictObject({
  issuerUid: Uid.optional(),
  holderUid: Uid.optional(),
  status: z.enum(["issued", "booked", "consumed", "cancelled", "expired"]).optional(),
  limit: Limit(100, 50),
  cursor: Cursor,
});

export const BookingsQuery = z.strictObject({
  holderUid: Uid.optional(),
  issuerUid: Uid.optional(),
  voucherId: VoucherId.optional(),
  limit: Limit(100, 50),
  cursor: Cursor,
});

export const SlotsQuery = z.strictObject({
  voucherId: VoucherId,
  from: z.iso
    .datetime({ offset: true })
    .transform((s) => Date.parse(s))
    .optional(),
  limit: Limit(2000, 1000),
  /**
   * `full` (default): one object per slot. `compact`: the same page as start instants only, for
   * clients that know the rule (`slotId` = `slot-` + start, end = start + durationMinutes).
   */
  format: z.enum(["full", "compact"]).default("full"),
});

export const BookBody = z.strictObject({ voucherId: VoucherId, slotId: SlotIdText, holderUid: Uid });

export const CancelBody = z
  .strictObject({ bookingId: BookingId.optional(), voucherId: VoucherId.optional(), reason: z.string().max(500).optional() })
  .refine((b) => b.bookingId !== undefined || b.voucherId !== undefined, {
    message: "bookingId or voucherId is required",
  });

export const RescheduleBody = z.strictObject({ bookingId: BookingId, slotId: SlotIdText });
export const RedeemBody = z.strictObject({ voucherId: VoucherId });
export const TransferBody = z.strictObject({ voucherId: VoucherId, toUid: Uid });
