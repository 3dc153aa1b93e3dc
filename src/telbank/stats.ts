/**
 * `GET /api/admin/stats/telbank`: transfers per UTC day × direction × network, with counts (all,
 * settled, failed), fiat volumes per currency and crypto volumes per symbol, plus totals per
 * direction. Every volume is exact at any size: fiat sums with `exactSumSql` (minor units), crypto
 * sums as four 9-digit parts of the base units (every stored amount is below 10^36), each part
 * summed as an SQLite integer, read as TEXT and joined with BigInt.
 *
 * Volumes count every logged transfer, whatever its status; the status counts tell how many of
 * them were settled or failed.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, rawBatch } from "../db/client";
import { exactSumSql, joinExactSum, minorTotal } from "../money/totals";
import { DAY_MS, type Range, dayKey } from "../monitoring/time";
import { formatAmount } from "./amounts";

const PER_DAY = sql.raw(String(DAY_MS));
const PART = 10n ** 9n;

/** `SUM` of the `i`-th 9-digit part (from the right) of the base-unit strings, as TEXT. */
const partSum = (i: number): SQL =>
  sql`CAST(SUM(CAST(substr(crypto_amount, ${sql.raw(String(-9 * (i + 1)))}, 9) AS INTEGER)) AS TEXT)`;

/** Joins the four part sums of {@link partSum} into the exact total. */
export function joinParts(parts: readonly unknown[]): bigint {
  return parts.reduce<bigint>(
    (acc, p, i) => acc + BigInt(p === null || p === undefined ? "0" : String(p)) * PART ** BigInt(i),
    0n,
  );
}

interface Counts {
  count: number;
  settled: number;
  failed: number;
}

/** A fiat row from SQL. */
interface FiatRow extends Counts {
  day: number;
  direction: "in" | "out";
  network: string | null;
  currency: string;
  volume: string | null;
}

/** A crypto row from SQL. */
interface CryptoRow extends Counts {
  day: number;
  direction: "in" | "out";
  network: string | null;
  symbol: string;
  decimals: number;
  p0: string | null;
  p1: string | null;
  p2: string | null;
  p3: string | null;
}

const COUNTS = sql`count(*) AS count, coalesce(sum(status = 'settled'), 0) AS settled, coalesce(sum(status = 'failed'), 0) AS failed`;

/** Adds `b` into the total of `key` in `into`. */
function addTo<T extends Counts & { volume: bigint }>(into: Map<string, T>, key: string, b: T): void {
  const a = into.get(key);
  if (!a) into.set(key, { ...b });
  else
    into.set(key, {
      ...a,
      count: a.count + b.count,
      settled: a.settled + b.settled,
      failed: a.failed + b.failed,
      volume: a.volume + b.volume,
    });
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The stats of `range`: one D1 round trip. */
export async function telbankStats(db: Db, range: Range) {
  const where = sql`created_at >= ${range.from} AND created_at < ${range.to}`;
  const [fiat, crypto] = await rawBatch(db, [
    sql`SELECT created_at / ${PER_DAY} AS day, direction, network, fiat_currency AS currency, ${COUNTS},
        ${exactSumSql(sql`fiat_amount`)} AS volume
      FROM transfers WHERE ${where} GROUP BY day, direction, network, currency`,
    sql`SELECT created_at / ${PER_DAY} AS day, direction, network, crypto_symbol AS symbol, crypto_decimals AS decimals, ${COUNTS},
        ${partSum(0)} AS p0, ${partSum(1)} AS p1, ${partSum(2)} AS p2, ${partSum(3)} AS p3
      FROM transfers WHERE ${where} GROUP BY day, direction, network, symbol, decimals`,
  ]);
  const fiatRows = ((fiat?.results ?? []) as FiatRow[]).map((r) => ({ ...r, volume: joinExactSum(r.volume) }));
  const cryptoRows = ((crypto?.results ?? []) as CryptoRow[]).map(({ p0, p1, p2, p3, ...r }) => ({
    ...r,
    volume: joinParts([p0, p1, p2, p3]),
  }));
  const fiatTotals = new Map<string, (typeof fiatRows)[number]>();
  for (const r of fiatRows) addTo(fiatTotals, `${r.direction}|${r.currency}`, r);
  const cryptoTotals = new Map<string, (typeof cryptoRows)[number]>();
  for (const r of cryptoRows) addTo(cryptoTotals, `${r.direction}|${r.symbol}|${r.decimals}`, r);

  const counts = (r: Counts) => ({ count: r.count, settled: r.settled, failed: r.failed });
  const fiatOut = (r: (typeof fiatRows)[number]) => ({ ...counts(r), currency: r.currency, volume: minorTotal(r.volume) });
  const cryptoOut = (r: (typeof cryptoRows)[number]) => ({
    ...counts(r),
    symbol: r.symbol,
    decimals: r.decimals,
    units: r.volume.toString(),
    amount: formatAmount(r.volume, r.decimals),
  });
  const sortKey = (r: { day: number; direction: string; network: string | null }) => `${r.day}|${r.direction}|${r.network ?? ""}`;
  return {
    ok: true as const,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    fiat: fiatRows
      .sort((a, b) => a.day - b.day || byText(sortKey(a), sortKey(b)) || byText(a.currency, b.currency))
      .map((r) => ({ day: dayKey(r.day * DAY_MS), direction: r.direction, network: r.network, ...fiatOut(r) })),
    crypto: cryptoRows
      .sort((a, b) => a.day - b.day || byText(sortKey(a), sortKey(b)) || byText(a.symbol, b.symbol))
      .map((r) => ({ day: dayKey(r.day * DAY_MS), direction: r.direction, network: r.network, ...cryptoOut(r) })),
    totals: {
      fiat: [...fiatTotals.entries()]
        .sort(([a], [b]) => byText(a, b))
        .map(([, r]) => ({ direction: r.direction, ...fiatOut(r) })),
      crypto: [...cryptoTotals.entries()]
        .sort(([a], [b]) => byText(a, b))
        .map(([, r]) => ({ direction: r.direction, ...cryptoOut(r) })),
    },
  };
}
