/**
 * Time on the admin read side: query instants, UTC days and the instant bounds of event ids.
 *
 * Event ids are `ev-<created_at in base36, 9 digits>-<random>` (`newId("ev", now)` with the same
 * `now` the row's `created_at` gets; the sweep and the presence match build the same form in SQL),
 * so the id order is the time order and a time window is an id range. That lets every time filter
 * on `events` ride on the id column of the index the other filter already uses (`(type, id)`,
 * `(subject_id, id)`, the primary key) instead of needing a second index.
 *
 * @module
 */
import * as z from "zod";
import { badRequest } from "../core/errors";

/** One UTC day, ms. */
export const DAY_MS = 86_400_000;

/**
 * Largest accepted instant: the last millisecond whose base36 form still has 9 digits
 * (year 5188), so id bounds compare correctly as strings.
 */
export const MAX_INSTANT = 36 ** 9 - 1;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDateTime = z.iso.datetime({ offset: true });

/**
 * A query instant: epoch milliseconds (digits), an ISO-8601 date (`2026-01-31` = its 00:00 UTC)
 * or an ISO-8601 date-time with `Z` or an offset. Null when it is none of them, names an
 * impossible date, or lies outside 1970 … {@link MAX_INSTANT}.
 */
export function parseInstant(s: string): number | null {
  let ms: number;
  if (/^\d{1,15}$/.test(s)) ms = Number(s);
  else if (ISO_DATE.test(s)) {
    ms = Date.parse(`${s}T00:00:00Z`);
    // Date.parse rolls 2026-02-30 over to March; the round trip refuses it.
    if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s) return null;
  } else if (isoDateTime.safeParse(s).success) ms = Date.parse(s);
  else return null;
  return Number.isSafeInteger(ms) && ms >= 0 && ms <= MAX_INSTANT ? ms : null;
}

/** Query parameter: an instant as {@link parseInstant} reads it, as epoch ms. */
export const InstantParam = z
  .string()
  .max(40)
  .refine((s) => parseInstant(s) !== null, "must be epoch ms, an ISO date or an ISO date-time (1970…5188)")
  .transform((s) => parseInstant(s) as number);

/** `?from&to` of a stats route: instants as {@link InstantParam} reads them (window: {@link resolveRange}). */
export const RangeQuery = z.strictObject({ from: InstantParam.optional(), to: InstantParam.optional() });

/** Start (00:00 UTC) of the day containing `ms`. */
export const dayStart = (ms: number) => ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);

/** `YYYY-MM-DD` of the UTC day containing `ms`. */
export const dayKey = (ms: number) => new Date(dayStart(ms)).toISOString().slice(0, 10);

/** A half-open window `[from, to)` in epoch ms. */
export interface Range {
  from: number;
  to: number;
}

/** Default window of the stats routes, and the longest one they answer (bounded responses). */
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;

/**
 * The window of a stats request: `to` defaults to the end of today (next 00:00 UTC), `from` to
 * 30 days before `to`. 400 `invalid_range` unless `from < to` and the window is at most 366 days.
 */
export function resolveRange(q: { from?: number | undefined; to?: number | undefined }, now: number): Range {
  const to = q.to ?? Math.min(dayStart(now) + DAY_MS, MAX_INSTANT);
  const from = q.from ?? Math.max(0, to - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from >= to) throw badRequest("invalid_range", "from must be before to");
  if (to - from > MAX_RANGE_DAYS * DAY_MS) {
    throw badRequest("invalid_range", `the window is at most ${MAX_RANGE_DAYS} days`);
  }
  return { from, to };
}

/** Every UTC day key of `[from, to)`, oldest first. */
export function daysOf(r: Range): string[] {
  const out: string[] = [];
  for (let d = dayStart(r.from); d < r.to; d += DAY_MS) out.push(dayKey(d));
  return out;
}

/**
 * The smallest event id created at or after `ms`: `id >= eventIdAt(t)` ⇔ created at or after t,
 * `id < eventIdAt(t)` ⇔ created before t (ids are `ev-<9 base36 digits>-…`).
 */
export const eventIdAt = (ms: number) => `ev-${ms.toString(36).padStart(9, "0")}`;
