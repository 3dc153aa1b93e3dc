/**
 * Exact totals of minor units: sums over any number of rows, read from D1 and sent as decimal
 * strings (the rule is in the module comment of ./money.ts).
 *
 * D1 hands every INTEGER result to JavaScript as a number, which rounds above 2^53, and SQLite's
 * `SUM` raises "integer overflow" above 2^63 − 1. So a total that sums an unbounded number of rows
 * is computed as two sums — of each value's high part (`x / 2^32`, truncated) and of its low part
 * (`x % 2^32`, same sign) — each read as TEXT and joined here with BigInt. Each part of a value
 * below 2^63 in magnitude is below 2^32, so both sums stay exact for fewer than 2^31 rows per
 * group (hundreds of gigabytes of rows, far past a D1 database); beyond that SQLite raises an
 * error rather than return a wrong total.
 *
 * @module
 */
import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as z from "zod";

const CANONICAL = /^(0|-?[1-9][0-9]*)$/;

/**
 * A total of minor units as the API sends it: a canonical base-10 integer string (`"0"`, `"-250"`,
 * `"9007199254740993"`), exact at any size. Parse with `BigInt(...)`, never `Number(...)`.
 */
export const MinorTotal = z
  .string()
  .regex(CANONICAL, "a base-10 integer of minor units")
  .describe("Minor units as a base-10 integer string, exact beyond 2^53 (parse with BigInt).");
export type MinorTotal = z.infer<typeof MinorTotal>;

/** The split point 2^32, as an SQL integer literal (a bound JS number might arrive as REAL). */
const SPLIT_SQL = sql.raw("4294967296");
const SPLIT = 4_294_967_296n;

/**
 * `SUM(expr)` over integer values without SQLite's 64-bit limit, as one TEXT value
 * `"<sum of high parts>:<sum of low parts>"` (NULL over no rows) for {@link joinExactSum}.
 * Use it as an aggregate, e.g. `SELECT currency, ${exactSumSql(sql`amount`)} AS amount … GROUP BY currency`.
 */
export function exactSumSql(expr: SQL | SQLiteColumn): SQL<string | null> {
  return sql<string | null>`(CAST(SUM((${expr}) / ${SPLIT_SQL}) AS TEXT) || ':' || CAST(SUM((${expr}) % ${SPLIT_SQL}) AS TEXT))`;
}

/** The total an {@link exactSumSql} column stands for (0 for NULL: a sum over no rows). */
export function joinExactSum(value: unknown): bigint {
  if (value === null || value === undefined) return 0n;
  const m = /^(-?[0-9]+):(-?[0-9]+)$/.exec(String(value));
  if (!m) throw new RangeError(`not an exact sum: ${String(value)}`);
  return BigInt(m[1] ?? "0") * SPLIT + BigInt(m[2] ?? "0");
}

/** An INTEGER column or expression read as TEXT, so a value above 2^53 reaches JavaScript unrounded. */
export function integerText(expr: SQL | SQLiteColumn): SQL<string> {
  return sql<string>`CAST(${expr} AS TEXT)`;
}

/**
 * An integer of minor units as BigInt: from BigInt, a decimal string (as {@link integerText}
 * reads it) or a safe JS integer. Anything else — a float, a rounded number above 2^53, "1.5" —
 * throws, so a lost digit can never be summed silently.
 */
export function toMinor(value: unknown): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?[0-9]+$/.test(value)) return BigInt(value);
  throw new RangeError(`not an exact integer amount: ${String(value)}`);
}

/** A BigInt total as {@link MinorTotal}. */
export const minorTotal = (value: bigint): MinorTotal => value.toString();
