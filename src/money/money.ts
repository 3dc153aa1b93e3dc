/**
 * Money kernel: fiat in integer minor units, crypto in canonical base-10 strings of base units
 * computed with BigInt, and named rounding modes. No floats and no `Math.round` anywhere near money.
 *
 * How amounts stay exact (the rule every module that stores, sums or sends money follows):
 *
 * - **A single amount is bounded where it enters.** A voucher price and a fee rule's fixed part
 *   are at most {@link MAX_AMOUNT} (10^12 minor units: 10 billion of a 2-decimal currency), so a
 *   fee computed from them (price × rate ≤ 100 % + fixed part) is at most {@link MAX_FEE}
 *   (2 × 10^12 < 2^41). Every single amount — a price, a fee event, a fixed part — is therefore a
 *   safe integer and travels in JSON as a number. Anything larger is a 400 `validation_failed`.
 * - **A sum over a bounded number of rows stays a SQLite integer.** A settlement chunk holds at
 *   most {@link MAX_CHUNK_EVENTS} fee events, so its sum (and each part of it) is provably inside
 *   int64 (`MAX_CHUNK_EVENTS × MAX_FEE < 2^63`); such sums are stored in INTEGER columns.
 * - **A total over an unbounded number of rows is a decimal string.** Statistics, per-currency
 *   reconciliation sums and settlement totals can pass 2^53 (where a JS number, and D1's
 *   conversion of an INTEGER result to one, stops being exact). They are read from D1 as TEXT
 *   (`CAST(x AS TEXT)`), summed in SQL without relying on 64 bits (`exactSumSql` in ./totals.ts:
 *   the high and the low 32 bits of every value summed separately, joined with BigInt), added in
 *   TypeScript as BigInt, and sent as a canonical decimal string (`MinorTotal`). The CSV export
 *   prints the same digits.
 * - **A settlement's own total** is stored as a SQLite INTEGER (the sum of its parts): exact up
 *   to 2^63 − 1 minor units, i.e. at least 4,611,686 fees of the largest size in one settlement.
 *   Beyond that SQLite's SUM raises "integer overflow" and the run fails; a total is never
 *   stored rounded or wrapped.
 *
 * @module
 */
import * as z from "zod";

/** ISO 4217 codes whose minor unit is not 2 decimals. Everything else in the list uses 2. */
const ZERO_DECIMAL = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF";
const THREE_DECIMAL = "BHD IQD JOD KWD LYD OMR TND";
const TWO_DECIMAL =
  "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD YER ZAR ZMW ZWL";

const SCALE = new Map<string, number>([
  ...ZERO_DECIMAL.split(" ").map((c) => [c, 0] as const),
  ...THREE_DECIMAL.split(" ").map((c) => [c, 3] as const),
  ...TWO_DECIMAL.split(" ").map((c) => [c, 2] as const),
]);

/** Number of minor-unit decimals of an ISO 4217 currency (`undefined` if unknown). */
export const currencyScale = (code: string): number | undefined => SCALE.get(code);

/** An ISO 4217 currency code. */
export const Currency = z.string().refine((c) => SCALE.has(c), { message: "must be an ISO 4217 currency code, e.g. EUR" });

/**
 * Largest single amount the API accepts, in minor units (a price, a fee rule's fixed part):
 * 10^12, i.e. 10 billion of a 2-decimal currency. Chosen so that every fee computed from it and
 * every settlement chunk's sum stay exact (see the module comment).
 */
export const MAX_AMOUNT = 1_000_000_000_000;

/** Largest single fee event: a price of {@link MAX_AMOUNT} at a 100 % rate plus the largest fixed part. */
export const MAX_FEE = 2 * MAX_AMOUNT;

/**
 * Most fee events one settlement chunk may hold: ⌊(2^63 − 1) / MAX_FEE⌋, so no chunk sum (and no
 * part of one) can leave SQLite's 64-bit integers, whatever its events' signs.
 */
export const MAX_CHUNK_EVENTS = Number((2n ** 63n - 1n) / BigInt(MAX_FEE));

/** A non-negative amount in minor units, at most {@link MAX_AMOUNT}. */
export const MinorUnits = z.number().int().min(0).max(MAX_AMOUNT);

/** `{amount, currency}` as the API speaks it. */
export const Price = z.strictObject({ amount: MinorUnits, currency: Currency });
export type Price = z.infer<typeof Price>;

/** Rounding modes a fee rule may name. */
export type RoundingMode = "half_up" | "half_even" | "floor" | "ceil";

/**
 * `numerator / denominator` rounded to an integer by `mode` (denominator > 0). `half_up` rounds
 * halves away from zero, so a negated input gives the exactly negated result.
 */
export function divRound(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  if (denominator <= 0n) throw new RangeError("denominator must be positive");
  const q = numerator / denominator; // truncates toward zero
  const r = numerator % denominator; // same sign as numerator
  if (r === 0n) return q;
  const sign = numerator < 0n ? -1n : 1n;
  const twice = (r < 0n ? -r : r) * 2n;
  switch (mode) {
    case "floor":
      return sign < 0n ? q - 1n : q;
    case "ceil":
      return sign > 0n ? q + 1n : q;
    case "half_up":
      return twice >= denominator ? q + sign : q;
    case "half_even":
      if (twice > denominator) return q + sign;
      if (twice < denominator) return q;
      return q % 2n === 0n ? q : q + sign;
  }
}

/** Parts per million: the unit of every rate (2 % = 20000). */
export const PPM = 1_000_000n;

/** `amount × ratePpm / 10^6`, rounded by `mode`. */
export function applyRate(amount: bigint, ratePpm: bigint, mode: RoundingMode): bigint {
  return divRound(amount * ratePpm, PPM, mode);
}

/** Converts a BigInt result back to a JS number, refusing anything a number cannot hold exactly. */
export function toSafeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError("amount exceeds the exact range of a JS number");
  }
  return Number(v);
}

/** Canonical base-10 integer of crypto base units: no sign, exponent or leading zeros. */
export const BASE_UNITS_RE = /^(0|[1-9][0-9]*)$/;

/** Parses a decimal string (`"1.5"`) into base units for `decimals`; throws on excess precision. */
export function parseUnits(text: string, decimals: number): bigint {
  const m = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (!m) throw new RangeError(`not a non-negative decimal: ${text}`);
  const frac = m[2] ?? "";
  if (frac.length > decimals) throw new RangeError(`more than ${decimals} decimals: ${text}`);
  return BigInt(m[1] ?? "0") * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** Formats base units as a decimal string without trailing zeros (`1500000000000000000`, 18 → `"1.5"`). */
export function formatUnits(units: bigint, decimals: number): string {
  if (units < 0n) return `-${formatUnits(-units, decimals)}`;
  const base = 10n ** BigInt(decimals);
  const whole = units / base;
  const frac = (units % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
