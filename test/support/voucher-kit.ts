/**
 * Helpers shared by the voucher API tests: POST/GET shorthands, direct D1 reads of the rows a
 * request must (or must not) leave behind, and request ids to find a request's event rows.
 */
import { json, newUid, testEnv } from "./client";

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** A signed-in user as returned by `login()`. */
export interface Who {
  uid: string;
  session: string;
}

/** A fresh request id (matches the pipeline's accepted `x-request-id` format). */
export const newRequestId = () => `rq-${newUid("t")}`;

/** POSTs `body` as `who` (or anonymously), optionally with a fixed request id and extra headers. */
export function post(
  path: string,
  who: Who | null,
  body: unknown,
  opts: { requestId?: string; headers?: Record<string, string>; env?: Env } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.requestId) headers["x-request-id"] = opts.requestId;
  return json(path, { body, headers, ...(who ? { session: who.session } : {}) }, opts.env);
}

/** GETs `path` with `query` as `who` (or anonymously). */
export function get(path: string, who: Who | null, query: Record<string, string | number | undefined> = {}) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
  const q = qs.toString();
  return json(q ? `${path}?${q}` : path, who ? { session: who.session } : {});
}

/** All rows of a query against the test's real D1. */
export async function rows<T = Record<string, any>>(query: string, ...binds: unknown[]): Promise<T[]> {
  const res = await testEnv.DB.prepare(query)
    .bind(...binds)
    .all<T>();
  return res.results;
}

/** The first row of a query, or `undefined`. */
export async function row<T = Record<string, any>>(query: string, ...binds: unknown[]): Promise<T | undefined> {
  return (await rows<T>(query, ...binds))[0];
}

/** A voucher row as stored. */
export const voucherRow = (id: string) => row("SELECT * FROM vouchers WHERE id = ?", id);

/** All booking rows of a voucher, oldest first. */
export const bookingRows = (voucherId: string) =>
  rows("SELECT * FROM voucher_bookings WHERE voucher_id = ? ORDER BY created_at, id", voucherId);

/** Event rows written by one request. */
export const eventsOfRequest = (requestId: string) => rows("SELECT * FROM events WHERE request_id = ?", requestId);

/** Event rows of a subject, optionally of one type. */
export const eventsOf = (subjectId: string, type?: string) =>
  type
    ? rows("SELECT * FROM events WHERE subject_id = ? AND type = ? ORDER BY id", subjectId, type)
    : rows("SELECT * FROM events WHERE subject_id = ? ORDER BY id", subjectId);

/** Voucher events (of a type) whose meta names the voucher (booking events carry `voucherId` in meta). */
export const voucherEvents = (voucherId: string, type: string) =>
  rows(
    "SELECT * FROM events WHERE type = ? AND (subject_id = ? OR json_extract(meta, '$.voucherId') = ?) ORDER BY id",
    type,
    voucherId,
    voucherId,
  );

/** Fee events (charges and reversals) of all bookings of a voucher. */
export const feeRowsOfVoucher = (voucherId: string) =>
  rows(
    `SELECT * FROM fee_events WHERE subject_type = 'voucher_booking'
       AND subject_id IN (SELECT id FROM voucher_bookings WHERE voucher_id = ?) ORDER BY created_at, kind`,
    voucherId,
  );

/** Number of rows of `table` matching `where`. */
export async function count(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const r = await row<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, ...binds);
  return r?.n ?? 0;
}

/** Sets a voucher's status directly in D1 (states no route produces, e.g. `expired`). */
export async function forceVoucherStatus(voucherId: string, status: string): Promise<void> {
  await testEnv.DB.prepare("UPDATE vouchers SET status = ? WHERE id = ?").bind(status, voucherId).run();
}

/** Epoch ms of a slot id. */
export const slotStartOf = (slotId: string) => Date.parse(slotId.slice("slot-".length));

/** `SELECT count(*) n …` for any query that returns one row with column `n` (-1 if none). */
export const countOf = async (query: string, ...binds: unknown[]) => (await rows<{ n: number }>(query, ...binds))[0]?.n ?? -1;
