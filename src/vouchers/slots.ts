/**
 * The slot grid of a voucher (the original API's grid, kept): the first slot starts at `validFrom`,
 * slots start every 60 minutes, each lasts `durationMinutes`, and a slot must end by
 * `validUntil`. All instants are UTC epoch ms; a slot id is `slot-<ISO start>`.
 *
 * @module
 */

/** Distance between slot starts. */
export const SLOT_STEP_MS = 3_600_000;

/** What the grid depends on. */
export interface GridVoucher {
  validFrom: number;
  validUntil: number;
  durationMinutes: number;
}

/** A slot on the wire. */
export interface Slot {
  slotId: string;
  voucherId: string;
  start: string;
  end: string;
}

/** `slot-<ISO>` for a start instant (epoch ms, or its ISO rendering when the caller has it already). */
export const slotId = (start: number | string) => `slot-${typeof start === "string" ? start : new Date(start).toISOString()}`;

/** Start instant of a slot id, or `null` if the id is not `slot-<ISO-8601 instant>`. */
export function parseSlotId(id: string): number | null {
  const m = /^slot-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))$/.exec(id);
  if (!m?.[1]) return null;
  // Date.parse rolls impossible dates over (2026-02-30 → 03-02, T24:00 → next day): refuse them.
  const [y, mo, d, h] = m[1].slice(0, 13).split(/[-T]/).map(Number) as [number, number, number, number];
  if (h > 23 || d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  const t = Date.parse(m[1]);
  return Number.isFinite(t) ? t : null;
}

/** Why a start is not bookable, or `null` if it is a future slot of the grid. */
export function slotProblem(v: GridVoucher, start: number, now: number): "not_on_grid" | "in_past" | null {
  const duration = v.durationMinutes * 60_000;
  if (start < v.validFrom || (start - v.validFrom) % SLOT_STEP_MS !== 0 || start + duration > v.validUntil) {
    return "not_on_grid";
  }
  return start <= now ? "in_past" : null;
}

/**
 * Starts (epoch ms) of the future free slots, in order, at or after `from`, at most `limit` of
 * them, and the start of the next one after the page (`null`: no more). `booked` holds the starts
 * of active bookings.
 */
export function freeStarts(
  v: GridVoucher,
  booked: ReadonlySet<number>,
  now: number,
  opts: { from?: number; limit: number },
): { starts: number[]; next: number | null } {
  const duration = v.durationMinutes * 60_000;
  const lower = Math.max(now + 1, opts.from ?? Number.NEGATIVE_INFINITY);
  // First grid start strictly after `now` and at or after `from`.
  let start = v.validFrom;
  if (lower > start) start += Math.ceil((lower - start) / SLOT_STEP_MS) * SLOT_STEP_MS;
  const starts: number[] = [];
  for (; start + duration <= v.validUntil; start += SLOT_STEP_MS) {
    if (booked.has(start)) continue;
    if (starts.length === opts.limit) return { starts, next: start };
    starts.push(start);
  }
  return { starts, next: null };
}

/** Future free slots as the API lists them (see {@link freeStarts}). */
export function freeSlots(
  v: GridVoucher & { id: string },
  booked: ReadonlySet<number>,
  now: number,
  opts: { from?: number; limit: number },
): { items: Slot[]; next: number | null } {
  const duration = v.durationMinutes * 60_000;
  const { starts, next } = freeStarts(v, booked, now, opts);
  // One ISO rendering per instant: a page is up to 1,000 slots, and this is the route's CPU.
  const items = starts.map((start) => {
    const iso = isoInstant(start);
    return { slotId: slotId(iso), voucherId: v.id, start: iso, end: isoInstant(start + duration) };
  });
  return { items, next };
}

const DAY_MS = 86_400_000;
/** First instant `toISOString` writes with a six-digit year (10000-01-01). */
const YEAR_10000 = 253_402_300_800_000;
let cachedDay = Number.NaN;
let cachedDate = "";
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/**
 * `new Date(ms).toISOString()`, faster for runs of instants on few days: the date part is
 * rendered once per UTC day and the time part by arithmetic (a page of slots renders up to 2,000
 * instants, and `toISOString` was most of the route's CPU). Outside years 0000-9999 it defers to
 * `toISOString`, whose format changes there.
 */
export function isoInstant(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= YEAR_10000) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== cachedDay) {
    cachedDay = day;
    cachedDate = new Date(day * DAY_MS).toISOString().slice(0, 11);
  }
  const t = ms - day * DAY_MS;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor(t / 60_000) % 60;
  const sec = Math.floor(t / 1000) % 60;
  return `${cachedDate}${pad(h, 2)}:${pad(m, 2)}:${pad(sec, 2)}.${pad(t % 1000, 3)}Z`;
}
