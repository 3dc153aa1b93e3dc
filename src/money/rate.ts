/**
 * Rates as exact decimals: a rate between 0 and 1 (0.032 = 3.2 %) is stored as an integer number
 * of parts per million (ppm, 0.032 → 32000), the unit `applyRate` in ./money.ts already uses.
 *
 * A rate arrives as a JSON number or a decimal string. A JSON number is read through its shortest
 * decimal form (`String(0.1)` is `"0.1"`), so what the client wrote is what is stored; the digits
 * are then moved into ppm as text, never through float arithmetic, so `0.1` is exactly 100000 and
 * `0.30000000000000004` (a float sum, not a rate anyone stated) is refused rather than rounded.
 *
 * @module
 */

/** Decimal places a rate may carry: ppm is 10^-6. */
export const RATE_DECIMALS = 6;

/** The largest rate, 1 (100 %), in ppm. */
export const MAX_RATE_PPM = 1_000_000;

/** Plain decimal, optionally with an exponent: no sign, no leading zeros, digits on both sides of a point. */
const DECIMAL_RE = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/** Exponents beyond this can only give 0 (zero digits) or an out-of-range / too precise rate. */
const EXPONENT_LIMIT = 64;

const refuse = (shown: string, why: string) =>
  new RangeError(`rate must be a decimal from 0 to 1 with at most ${RATE_DECIMALS} decimal places (${why}): got ${shown}`);

/**
 * Parses a rate (`0.04`, `"0.0325"`, `"0"`, `1`, `"1e-3"`) into integer ppm without float
 * arithmetic. Numbers are read through `String(value)`, their shortest decimal form. Accepted:
 * 0 ≤ rate ≤ 1 whose value needs at most {@link RATE_DECIMALS} decimal places (an exponent form
 * is accepted when its value is exact in ppm; written zeros past the sixth place are harmless).
 * Refused with a `RangeError`: NaN, ±Infinity, negatives, a sign or leading zeros in a string,
 * blanks, more precision than ppm (`1e-7`, `"0.0000001"`, `0.30000000000000004`), more than 1.
 */
export function rateToPpm(value: number | string): number {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw refuse(String(value), "not a finite number");
    text = String(value); // shortest round-trip decimal; -0 prints as "0"
  } else if (typeof value === "string") {
    text = value;
  } else {
    throw refuse(String(value), "not a number or a decimal string");
  }
  const shown = JSON.stringify(text);
  if (text.startsWith("-")) throw refuse(shown, "negative");
  const m = DECIMAL_RE.exec(text);
  if (!m) throw refuse(shown, "not a plain decimal");
  const whole = m[1] ?? "0";
  const fraction = m[2] ?? "";
  const expText = m[3] ?? "0";
  // Every digit as one integer D, and the power of ten that turns D into ppm: rate = D × 10^(exp − |fraction|).
  const digits = `${whole}${fraction}`.replace(/^0+/, "");
  if (digits === "") return 0; // any spelling of zero, whatever its exponent
  const exp = /^[+-]?0*[0-9]{1,3}$/.test(expText) ? Number(expText) : expText.startsWith("-") ? -Infinity : Infinity;
  if (Math.abs(exp) > EXPONENT_LIMIT) throw refuse(shown, exp > 0 ? "more than 1" : "too many decimal places");
  const shift = RATE_DECIMALS + exp - fraction.length;
  let ppm: bigint;
  if (shift >= 0) {
    ppm = BigInt(digits) * 10n ** BigInt(shift);
  } else {
    // Only trailing zeros may fall below one ppm.
    const cut = -shift;
    const dropped = digits.length > cut ? digits.slice(digits.length - cut) : digits;
    if (/[1-9]/.test(dropped)) throw refuse(shown, "too many decimal places");
    ppm = BigInt(digits.slice(0, digits.length - cut) || "0");
  }
  if (ppm > BigInt(MAX_RATE_PPM)) throw refuse(shown, "more than 1");
  return Number(ppm);
}

/**
 * A ppm rate as the JSON number clients display (32000 → 0.032). The quotient is the double
 * nearest the exact decimal, so `String` prints exactly the ppm's digits and {@link rateToPpm}
 * reads it back unchanged. For display and JSON only; compute with the ppm integer.
 */
export function ppmToRate(ppm: number): number {
  if (!Number.isSafeInteger(ppm)) throw new RangeError(`ppm must be a safe integer: got ${ppm}`);
  return ppm / 1_000_000;
}

/**
 * A ppm rate as a percentage string with exactly four decimals (32474 → "3.2474", 32000 →
 * "3.2000", 1000000 → "100.0000"), made from the integer's digits. Negative rates keep their sign.
 */
export function ppmToPercent(ppm: number): string {
  if (!Number.isSafeInteger(ppm)) throw new RangeError(`ppm must be a safe integer: got ${ppm}`);
  const sign = ppm < 0 ? "-" : "";
  const abs = BigInt(ppm < 0 ? -ppm : ppm);
  // 1 % = 10^4 ppm: the whole percent and four decimals.
  return `${sign}${abs / 10_000n}.${(abs % 10_000n).toString().padStart(4, "0")}`;
}
