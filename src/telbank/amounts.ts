/**
 * Exact crypto amounts of telbank transfers. An amount travels as a decimal string of the asset's
 * unit (`"1.5"` ETH) and is stored as the canonical base-10 integer of its base units (wei,
 * satoshi…) plus the asset's decimals, computed with BigInt: never a float, never rounded.
 *
 * @module
 */

/** Decimals of the assets the API knows; any other symbol gets {@link DEFAULT_DECIMALS}. */
export const ASSET_DECIMALS: Readonly<Record<string, number>> = {
  BTC: 8,
  LTC: 8,
  DOGE: 8,
  BCH: 8,
  ETH: 18,
  MATIC: 18,
  POL: 18,
  DAI: 18,
  BNB: 18,
  USDT: 6,
  USDC: 6,
  EURC: 6,
  SOL: 9,
  XRP: 6,
  ADA: 6,
  TRX: 6,
};

/** The most decimals an amount may have: 18 (ether's wei), also used for unknown symbols. */
export const DEFAULT_DECIMALS = 18;

/**
 * Most digits of a stored amount in base units. Bounds every amount below 10^36 so a total over
 * any number of rows can be summed exactly in SQL as four 9-digit parts (see `./stats.ts`).
 */
export const MAX_UNIT_DIGITS = 36;

/**
 * Significant digits a JSON number may carry: any decimal of at most 15 significant digits comes
 * back unchanged from the double it was parsed into, so such a number is what the client wrote.
 */
const EXACT_NUMBER_DIGITS = 15;

/** Decimals of `symbol` (upper-case). */
export const decimalsOf = (symbol: string): number => ASSET_DECIMALS[symbol] ?? DEFAULT_DECIMALS;

/** A non-negative decimal without sign, exponent, leading zeros or a bare point. */
const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/** A parsed amount, or why it was refused. */
export type AmountResult = { ok: true; units: bigint; decimals: number } | { ok: false; message: string };

/**
 * The decimal text of a JSON number, when the number is exactly what the client wrote: finite,
 * non-negative, at most 15 significant digits and printed without an exponent. Null otherwise
 * (the client must send a decimal string).
 */
export function numberText(n: number): string | null {
  if (!Number.isFinite(n) || n < 0) return null;
  const text = String(n);
  if (/[eE]/.test(text)) return null;
  const digits = text.replace(".", "").replace(/^0+/, "");
  return digits.length <= EXACT_NUMBER_DIGITS ? text : null;
}

/**
 * Parses a crypto amount for an asset with `decimals` decimals. Refuses (never rounds) more
 * decimals than the asset has, leading zeros, signs, exponents, spaces, a bare `.`, and anything
 * of {@link MAX_UNIT_DIGITS} or more digits in base units.
 */
export function parseAmount(input: string | number, decimals: number): AmountResult {
  const text = typeof input === "number" ? numberText(input) : input;
  if (text === null) {
    return {
      ok: false,
      message:
        "a JSON number is accepted only if it is exact (non-negative, at most 15 significant digits, no exponent); send a decimal string",
    };
  }
  const m = DECIMAL.exec(text);
  if (!m)
    return { ok: false, message: 'must be a non-negative decimal string such as "1.5" (no sign, exponent or leading zeros)' };
  const frac = m[2] ?? "";
  if (frac.length > decimals) return { ok: false, message: `has ${frac.length} decimals; the asset allows at most ${decimals}` };
  const units = BigInt(m[1] ?? "0") * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
  if (units.toString().length > MAX_UNIT_DIGITS) return { ok: false, message: "is too large" };
  return { ok: true, units, decimals };
}

/** Base units as a decimal string of the asset's unit, without trailing zeros (`1500000000000000000`, 18 → `"1.5"`). */
export function formatAmount(units: bigint, decimals: number): string {
  const base = 10n ** BigInt(decimals);
  const whole = units / base;
  const frac = (units % base).toString().padStart(decimals, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
