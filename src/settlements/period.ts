/**
 * Settlement periods, pure. A period is a half-open UTC interval `[from, to)` in epoch ms. The
 * cron settles "the last complete period before `scheduledTime`", so a retried or late cron run
 * settles the same period as the original one (never `Date.now()`).
 *
 * @module
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** Longest period an admin run may name (a year and a day). */
export const MAX_PERIOD_MS = 366 * DAY_MS;

/** A half-open interval `[from, to)`, epoch ms. */
export interface Period {
  readonly from: number;
  readonly to: number;
}

/**
 * Period length from `SETTLEMENT_PERIOD_HOURS` (default 24). It must tile UTC days: a divisor of
 * 24 (1, 2, 3, 4, 6, 8, 12) or a whole number of days (24, 48, 168…), so periods are aligned to
 * UTC midnight and never straddle a day boundary unevenly.
 *
 * @throws Error for any other value: a misconfigured cron must fail loudly, not settle odd periods.
 */
export function periodLengthMs(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DAY_MS;
  const h = Number(raw);
  const tiles = Number.isInteger(h) && h > 0 && (24 % h === 0 || h % 24 === 0) && h * HOUR_MS <= MAX_PERIOD_MS;
  if (!tiles) throw new Error(`SETTLEMENT_PERIOD_HOURS=${raw}: use a divisor of 24 or a multiple of 24`);
  return h * HOUR_MS;
}

/**
 * The last complete period that ends at or before `at`: `to` is `at` floored to the period grid
 * (aligned to the Unix epoch, which is a UTC midnight), `from = to − length`.
 *
 * @example
 * periodBefore(Date.parse("2026-11-22T00:05:00Z"), DAY_MS)
 * // → { from: 2026-11-21T00:00Z, to: 2026-11-22T00:00Z }
 */
export function periodBefore(at: number, lengthMs: number): Period {
  const to = Math.floor(at / lengthMs) * lengthMs;
  return { from: to - lengthMs, to };
}

/**
 * The periods one daily settle cron run settles, oldest first: with periods shorter than a day,
 * every period that ended in the 24 hours up to `at` (so a 6-hour period gets its own four
 * settlements a day from one daily cron); otherwise just {@link periodBefore}. Each run takes the
 * not yet settled events created before its own `to`, so running them in order splits the day right.
 */
export function periodsToSettle(at: number, lengthMs: number): Period[] {
  const last = periodBefore(at, lengthMs);
  if (lengthMs >= DAY_MS) return [last];
  const periods: Period[] = [];
  for (let to = last.to; to > at - DAY_MS; to -= lengthMs) periods.unshift({ from: to - lengthMs, to });
  return periods;
}

/** The run id of a period: `<from>-<to>` (epoch ms), the `settlement_runs` primary key. */
export function periodId(p: Period): string {
  return `${p.from}-${p.to}`;
}

/** Why an admin-requested period is refused, or null when it is fine. */
export function periodProblem(p: Period, now: number): string | null {
  if (!Number.isSafeInteger(p.from) || !Number.isSafeInteger(p.to) || p.from < 0) return "from and to must be valid instants";
  if (p.from >= p.to) return "from must be before to";
  if (p.to - p.from > MAX_PERIOD_MS) return "a period may span at most 366 days";
  if (p.to > now) return "the period has not ended yet";
  return null;
}
