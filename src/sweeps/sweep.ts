/**
 * The sweep (a cron job of the backend Worker): expired state out of the hot tables. Every step is a set-based,
 * conditional statement in chunks of {@link SWEEP_CHUNK} rows (one D1 batch each), so a sweep can
 * die anywhere, run twice or overlap with another and the result is the same. `now` is the cron's
 * `scheduledTime`, never the wall clock, so a retried run sweeps exactly what the original would.
 *
 * Retention policy:
 * | what | rule |
 * |---|---|
 * | vouchers `issued` past `valid_until` | → `expired`, event `voucher.expire` |
 * | vouchers `booked` past `valid_until` + 7 days | → `expired`, their booking → `completed`, event `voucher.expire` (the booking fee stays: the slot was held; the issuer had 7 days to redeem) |
 * | mortgage offers `offered` past `valid_until` | → `expired`, event `mortgage.offer.expire` (the application keeps its status: the borrower may still get and accept other offers) |
 * | mortgage tranches `offered` past `valid_until` | → `expired`, their nominal leaves the contract's tranched sum, event `mortgage.tranche.expire` |
 * | presence sessions silent > 60 s | → `offline` (no event, like heartbeats) |
 * | idempotency keys | deleted after `expires_at` (7 days) |
 * | used link nonces | deleted 1 day after use (a link is only valid for 5 minutes) |
 * | room tickets | deleted after `expires_at` (30 s) |
 * | rate-limit windows | deleted 2 windows after they closed |
 * | events | deleted after `EVENT_RETENTION_DAYS` (default 400), except money-related types |
 * | telemetry rows | deleted after `telemetryRetentionMs` (default {@link DEFAULT_TELEMETRY_RETENTION_DAYS} days): page views and clicks are only useful while fresh |
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, rawBatch } from "../db/client";
import { sqlNewId } from "../db/ids";
import { HISTORY_TTL_MS } from "../rooms/room.do";

/** Rows per statement. */
export const SWEEP_CHUNK = 500;
/** Chunks per table per sweep: bounds one run; the next sweep (minutes later) continues. */
export const MAX_CHUNKS = 40;
export const PRESENCE_OFFLINE_MS = 60_000;
export const REDEEM_GRACE_MS = 7 * 24 * 3_600_000;
export const NONCE_RETENTION_MS = 24 * 3_600_000;
/**
 * `room_members` rows live a day longer than a Room's chat history (`HISTORY_TTL_MS`, 7 days):
 * after that the room holds nothing of the person for an erasure to find.
 */
export const ROOM_MEMBER_RETENTION_MS = HISTORY_TTL_MS + 24 * 3_600_000;
export const DEFAULT_EVENT_RETENTION_DAYS = 400;
/** How long portal telemetry is kept by default (`TELEMETRY_RETENTION_DAYS`). */
export const DEFAULT_TELEMETRY_RETENTION_DAYS = 30;
/**
 * Event types kept forever: everything that moves or prices money (bookings and their fees,
 * vouchers, transfers, mortgages, contracts, settlements, fee rules, erasures), and the grants of
 * the roles that may offer or notarize (a signed contract's lender and notary stay explainable).
 */
export const MONEY_EVENT_PREFIXES = [
  "voucher.",
  "transfer.",
  "mortgage.",
  "contract.",
  "settlement.",
  "fee.",
  "thinker.",
  "party.",
] as const;

/** Counts of one sweep. */
export interface SweepResult {
  vouchersExpired: number;
  bookedVouchersExpired: number;
  offersExpired: number;
  tranchesExpired: number;
  presenceOffline: number;
  idempotencyKeys: number;
  linkNonces: number;
  deviceChallenges: number;
  roomTickets: number;
  roomMembers: number;
  rateLimits: number;
  events: number;
  telemetry: number;
}

/** Event retention from `EVENT_RETENTION_DAYS` (a positive integer), default 400 days. */
export function eventRetentionMs(raw: string | undefined): number {
  const n = Number(raw);
  const days = raw && Number.isInteger(n) && n > 0 ? n : DEFAULT_EVENT_RETENTION_DAYS;
  return days * 24 * 3_600_000;
}

/** Telemetry retention from `TELEMETRY_RETENTION_DAYS` (a positive integer), default 30 days. */
export function telemetryRetentionMs(raw: string | undefined): number {
  const n = Number(raw);
  const days = raw && Number.isInteger(n) && n > 0 ? n : DEFAULT_TELEMETRY_RETENTION_DAYS;
  return days * 24 * 3_600_000;
}

/** What a sweep is told besides the time; `telemetryRetentionMs` defaults to {@link DEFAULT_TELEMETRY_RETENTION_DAYS} days. */
export interface SweepOptions {
  eventRetentionMs: number;
  telemetryRetentionMs?: number;
  requestId: string;
}

/** Runs one sweep at `now` (the cron's scheduled time). */
export async function sweep(db: Db, now: number, opts: SweepOptions): Promise<SweepResult> {
  const telemetryKeep = opts.telemetryRetentionMs ?? telemetryRetentionMs(undefined);
  const issuedDue = sql`SELECT id FROM vouchers WHERE status = 'issued' AND valid_until <= ${now} ORDER BY valid_until, id LIMIT ${SWEEP_CHUNK}`;
  const bookedDue = sql`SELECT id FROM vouchers WHERE status = 'booked' AND valid_until <= ${now - REDEEM_GRACE_MS} ORDER BY valid_until, id LIMIT ${SWEEP_CHUNK}`;
  const offersDue = sql`SELECT id FROM mortgage_offers WHERE status = 'offered' AND valid_until <= ${now} ORDER BY valid_until, id LIMIT ${SWEEP_CHUNK}`;
  const tranchesDue = sql`SELECT id FROM mortgage_tranches WHERE status = 'offered' AND valid_until <= ${now} ORDER BY valid_until, id LIMIT ${SWEEP_CHUNK}`;
  const keep = sql.join(
    MONEY_EVENT_PREFIXES.map((p) => sql`type NOT LIKE ${`${p}%`}`),
    sql` AND `,
  );

  return {
    // The event rows are written first, from the same chunk the UPDATE then flips (nothing
    // changes the chunk in between: a batch is one transaction).
    vouchersExpired: await chunked(db, [
      sql`INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at)
        SELECT ${sqlNewId("ev", now)}, 'voucher.expire', NULL, 'voucher', id,
          json_object('from', 'issued', 'validUntil', valid_until), ${opts.requestId}, ${now}
        FROM vouchers WHERE id IN (${issuedDue})`,
      sql`UPDATE vouchers SET status = 'expired', updated_at = ${now} WHERE id IN (${issuedDue})`,
    ]),
    bookedVouchersExpired: await chunked(db, [
      sql`INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at)
        SELECT ${sqlNewId("ev", now)}, 'voucher.expire', NULL, 'voucher', v.id,
          json_object('from', 'booked', 'validUntil', v.valid_until, 'bookingId', b.id, 'bookingStatus', 'completed'), ${opts.requestId}, ${now}
        FROM vouchers v LEFT JOIN voucher_bookings b ON b.voucher_id = v.id AND b.status = 'booked'
        WHERE v.id IN (${bookedDue})`,
      sql`UPDATE voucher_bookings SET status = 'completed' WHERE status = 'booked' AND voucher_id IN (${bookedDue})`,
      sql`UPDATE vouchers SET status = 'expired', updated_at = ${now} WHERE id IN (${bookedDue})`,
    ]),
    offersExpired: await chunked(db, [
      sql`INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at)
        SELECT ${sqlNewId("ev", now)}, 'mortgage.offer.expire', NULL, 'mortgage_offer', id,
          json_object('from', 'offered', 'validUntil', valid_until, 'applicationId', application_id), ${opts.requestId}, ${now}
        FROM mortgage_offers WHERE id IN (${offersDue})`,
      sql`UPDATE mortgage_offers SET status = 'expired', updated_at = ${now} WHERE id IN (${offersDue})`,
    ]),
    tranchesExpired: await chunked(db, [
      sql`INSERT INTO events (id, type, actor_uid, subject_type, subject_id, meta, request_id, created_at)
        SELECT ${sqlNewId("ev", now)}, 'mortgage.tranche.expire', NULL, 'mortgage_tranche', id,
          json_object('from', 'offered', 'validUntil', valid_until, 'contractId', contract_id), ${opts.requestId}, ${now}
        FROM mortgage_tranches WHERE id IN (${tranchesDue})`,
      // The nominal of an expired tranche is free again for a new one (the CHECK on the contract keeps the sum ≤ the loan).
      sql`UPDATE mortgage_contracts SET updated_at = ${now}, tranched_amount = tranched_amount - (
          SELECT SUM(t.nominal_amount) FROM mortgage_tranches t WHERE t.contract_id = mortgage_contracts.id AND t.id IN (${tranchesDue}))
        WHERE id IN (SELECT contract_id FROM mortgage_tranches WHERE id IN (${tranchesDue}))`,
      sql`UPDATE mortgage_tranches SET status = 'expired', updated_at = ${now} WHERE id IN (${tranchesDue})`,
    ]),
    presenceOffline: await chunked(db, [
      sql`UPDATE presence_sessions SET status = 'offline' WHERE rowid IN (
        SELECT rowid FROM presence_sessions WHERE status = 'online' AND last_seen_at < ${now - PRESENCE_OFFLINE_MS} LIMIT ${SWEEP_CHUNK})`,
    ]),
    idempotencyKeys: await chunked(db, [deleteWhere("idempotency_keys", sql`expires_at < ${now}`)]),
    linkNonces: await chunked(db, [deleteWhere("used_link_nonces", sql`used_at < ${now - NONCE_RETENTION_MS}`)]),
    // A challenge is valid for 120 s; its single-use record is kept as long as a link's, for audits.
    deviceChallenges: await chunked(db, [deleteWhere("used_device_challenges", sql`used_at < ${now - NONCE_RETENTION_MS}`)]),
    roomTickets: await chunked(db, [deleteWhere("room_tickets", sql`expires_at < ${now}`)]),
    roomMembers: await chunked(db, [deleteWhere("room_members", sql`last_at < ${now - ROOM_MEMBER_RETENTION_MS}`)]),
    rateLimits: await chunked(db, [deleteWhere("rate_limits", sql`window_start < ${now - 2 * 60_000}`)]),
    events: await chunked(db, [deleteWhere("events", sql`created_at < ${now - opts.eventRetentionMs} AND ${keep}`)]),
    // Oldest first through `ix_telemetry_batches_created`; no event: telemetry is not audited (src/telemetry/ingest.ts).
    telemetry: await chunked(db, [deleteWhere("telemetry_batches", sql`created_at < ${now - telemetryKeep}`)]),
  };
}

function deleteWhere(table: string, where: SQL): SQL {
  return sql`DELETE FROM ${sql.identifier(table)} WHERE rowid IN (
    SELECT rowid FROM ${sql.identifier(table)} WHERE ${where} LIMIT ${SWEEP_CHUNK})`;
}

/**
 * Runs a chunk's statements as one batch until the last statement changes fewer than a full
 * chunk (or {@link MAX_CHUNKS} is reached); returns the rows the last statement changed in total.
 */
async function chunked(db: Db, statements: SQL[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const results = await rawBatch(db, statements);
    const changed = results[results.length - 1]?.meta.changes ?? 0;
    total += changed;
    if (changed < SWEEP_CHUNK) break;
  }
  return total;
}
