/// <reference types="vite/client" />
/**
 * Money kernel and fee math: rounding against an independent oracle, fee properties, reversals
 * summing to zero, crypto unit strings, currencies, and a guard against float money in the source.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FeeRule, quoteFee } from "../../src/fees/fees";
import {
  Currency,
  MAX_AMOUNT,
  PPM,
  Price,
  type RoundingMode,
  applyRate,
  currencyScale,
  divRound,
  formatUnits,
  parseUnits,
  toSafeNumber,
} from "../../src/money/money";
import { check } from "./seed";

const MODES: RoundingMode[] = ["half_up", "half_even", "floor", "ceil"];
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// ── Reference oracle ──────────────────────────────────────────────────────────────────────────
// Built from the floor quotient and a remainder in [0, d), unlike divRound (truncation + signed
// remainder), so the two only agree if both are right.

/** ⌊n / d⌋ for d > 0. */
function floorDiv(n: bigint, d: bigint): bigint {
  return n >= 0n ? n / d : -((-n + d - 1n) / d);
}

/** n / d rounded by `mode`, d > 0. */
function oracle(n: bigint, d: bigint, mode: RoundingMode): bigint {
  const f = floorDiv(n, d);
  const r = n - f * d; // 0 ≤ r < d
  if (mode === "floor") return f;
  if (mode === "ceil") return r === 0n ? f : f + 1n;
  if (r === 0n) return f;
  if (2n * r < d) return f;
  if (2n * r > d) return f + 1n;
  // Exactly halfway between f and f + 1.
  if (mode === "half_up") return n > 0n ? f + 1n : f; // away from zero
  return f % 2n === 0n ? f : f + 1n; // to the even neighbour
}

const mode = fc.constantFrom(...MODES);
/** Numerators from tiny to far beyond 2^256, both signs. */
const numerator = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
  fc.bigInt({ min: -(2n ** 400n), max: 2n ** 400n }),
);
/** Positive denominators, small ones (many ties) and huge ones. */
const denominator = fc.oneof(
  fc.bigInt({ min: 1n, max: 12n }),
  fc.constant(PPM),
  fc.bigInt({ min: 1n, max: 2n ** 80n }),
  fc.bigInt({ min: 1n, max: 2n ** 300n }),
);

describe("divRound", () => {
  it("matches the reference oracle in every mode (incl. negatives and huge values)", async () => {
    await check(
      fc.property(numerator, denominator, mode, (n, d, m) => {
        expect(divRound(n, d, m)).toBe(oracle(n, d, m));
      }),
      { numRuns: 2000 },
    );
  });

  it("matches the oracle on exact ties, where the modes differ most", async () => {
    await check(
      fc.property(fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), fc.bigInt({ min: 1n, max: 2n ** 70n }), mode, (q, h, m) => {
        const d = 2n * h;
        const n = q * d + h; // q + 0.5
        expect(divRound(n, d, m)).toBe(oracle(n, d, m));
        expect(divRound(-n, d, m)).toBe(oracle(-n, d, m));
      }),
    );
  });

  it("half_up is symmetric: divRound(-n) = -divRound(n)", async () => {
    await check(
      fc.property(numerator, denominator, (n, d) => {
        expect(divRound(-n, d, "half_up")).toBe(-divRound(n, d, "half_up"));
      }),
      { numRuns: 1000 },
    );
  });

  it("half_even is symmetric too, and floor/ceil mirror each other", async () => {
    await check(
      fc.property(numerator, denominator, (n, d) => {
        expect(divRound(-n, d, "half_even")).toBe(-divRound(n, d, "half_even"));
        expect(divRound(-n, d, "floor")).toBe(-divRound(n, d, "ceil"));
      }),
    );
  });

  it("stays within one unit of the exact quotient and is exact on multiples", async () => {
    await check(
      fc.property(numerator, denominator, mode, (n, d, m) => {
        const q = divRound(n, d, m);
        expect(floorDiv(n, d) <= q && q <= floorDiv(n, d) + 1n).toBe(true);
        expect(divRound(n * d, d, m)).toBe(n);
      }),
    );
  });

  it("rounds ties by mode: known vectors", () => {
    const cases: Array<[bigint, bigint, Record<RoundingMode, bigint>]> = [
      [1n, 2n, { half_up: 1n, half_even: 0n, floor: 0n, ceil: 1n }],
      [3n, 2n, { half_up: 2n, half_even: 2n, floor: 1n, ceil: 2n }],
      [5n, 2n, { half_up: 3n, half_even: 2n, floor: 2n, ceil: 3n }],
      [-1n, 2n, { half_up: -1n, half_even: 0n, floor: -1n, ceil: 0n }],
      [-3n, 2n, { half_up: -2n, half_even: -2n, floor: -2n, ceil: -1n }],
      [-5n, 2n, { half_up: -3n, half_even: -2n, floor: -3n, ceil: -2n }],
      [7n, 3n, { half_up: 2n, half_even: 2n, floor: 2n, ceil: 3n }],
      [-7n, 3n, { half_up: -2n, half_even: -2n, floor: -3n, ceil: -2n }],
      [8n, 3n, { half_up: 3n, half_even: 3n, floor: 2n, ceil: 3n }],
      [0n, 7n, { half_up: 0n, half_even: 0n, floor: 0n, ceil: 0n }],
    ];
    for (const [n, d, want] of cases) {
      for (const m of MODES) expect(divRound(n, d, m), `${n}/${d} ${m}`).toBe(want[m]);
    }
  });

  it("refuses a zero or negative denominator", () => {
    for (const m of MODES) {
      expect(() => divRound(1n, 0n, m)).toThrow(RangeError);
      expect(() => divRound(1n, -2n, m)).toThrow(RangeError);
    }
  });
});

describe("applyRate", () => {
  it("computes amount × ppm / 10^6 with the mode", () => {
    expect(applyRate(5000n, 20_000n, "half_up")).toBe(100n); // 2 % of 5000
    expect(applyRate(25n, 20_000n, "half_up")).toBe(1n); // 0.5 rounds up
    expect(applyRate(25n, 20_000n, "half_even")).toBe(0n); // 0.5 rounds to even
    expect(applyRate(75n, 20_000n, "half_even")).toBe(2n); // 1.5 rounds to even
    expect(applyRate(24n, 20_000n, "half_up")).toBe(0n); // 0.48
    expect(applyRate(26n, 20_000n, "floor")).toBe(0n); // 0.52
    expect(applyRate(1n, 20_000n, "ceil")).toBe(1n); // 0.02
    expect(applyRate(-25n, 20_000n, "half_up")).toBe(-1n);
    expect(applyRate(12_345n, PPM, "half_up")).toBe(12_345n); // 100 %
    expect(applyRate(12_345n, 0n, "ceil")).toBe(0n);
  });

  it("equals divRound(amount × ppm, 10^6) for any inputs", async () => {
    await check(
      fc.property(fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }), fc.bigInt({ min: 0n, max: PPM }), mode, (a, r, m) => {
        expect(applyRate(a, r, m)).toBe(oracle(a * r, PPM, m));
      }),
    );
  });
});

// ── Fee math ──────────────────────────────────────────────────────────────────────────────────

type Rule = Pick<FeeRule, "ratePpm" | "fixedAmount" | "currency" | "rounding" | "active">;

const BOOKING_RULE: Rule = { ratePpm: 20_000, fixedAmount: 0, currency: null, rounding: "half_up", active: true };

const rule = fc.record({
  ratePpm: fc.integer({ min: 0, max: 1_000_000 }),
  fixedAmount: fc.integer({ min: 0, max: 1_000_000_000 }),
  currency: fc.constant(null),
  rounding: mode,
  active: fc.constant(true),
}) as fc.Arbitrary<Rule>;
/** Amounts whose fee (≤ amount + fixed) still fits a JS number. */
const amount = fc.oneof(
  fc.integer({ min: 0, max: 100_000 }),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER - 1_000_000_000 }),
);
const currency = fc.constantFrom("EUR", "USD", "JPY", "KWD", "CHF");

describe("quoteFee", () => {
  it("known vectors of the seeded voucher.booking rule (2 %, half_up)", () => {
    expect(quoteFee(BOOKING_RULE, 5000, "EUR")).toEqual({ amount: 100, currency: "EUR" });
    expect(quoteFee(BOOKING_RULE, 25, "EUR")).toEqual({ amount: 1, currency: "EUR" });
    expect(quoteFee(BOOKING_RULE, 24, "EUR")).toEqual({ amount: 0, currency: "EUR" });
    expect(quoteFee(BOOKING_RULE, 0, "JPY")).toEqual({ amount: 0, currency: "JPY" });
    expect(quoteFee({ ...BOOKING_RULE, rounding: "half_even" }, 25, "EUR")).toEqual({ amount: 0, currency: "EUR" });
    expect(quoteFee({ ...BOOKING_RULE, fixedAmount: 30 }, 5000, "EUR")).toEqual({ amount: 130, currency: "EUR" });
  });

  it("does not apply when inactive or in another currency; a currency-less rule follows the base", () => {
    expect(quoteFee({ ...BOOKING_RULE, active: false }, 5000, "EUR")).toBeNull();
    expect(quoteFee({ ...BOOKING_RULE, currency: "USD" }, 5000, "EUR")).toBeNull();
    expect(quoteFee({ ...BOOKING_RULE, currency: "EUR" }, 5000, "EUR")).toEqual({ amount: 100, currency: "EUR" });
    expect(quoteFee(BOOKING_RULE, 5000, "KWD")).toEqual({ amount: 100, currency: "KWD" });
  });

  it("refuses a fee a JS number cannot hold exactly instead of rounding it", () => {
    expect(() => quoteFee({ ...BOOKING_RULE, ratePpm: 1_000_000, fixedAmount: 1 }, Number.MAX_SAFE_INTEGER, "EUR")).toThrow(
      RangeError,
    );
  });

  it("is never negative and never exceeds amount + fixed for non-negative amounts (rate ≤ 100 %)", async () => {
    await check(
      fc.property(rule, amount, currency, (r, a, c) => {
        const q = quoteFee(r, a, c);
        expect(q).not.toBeNull();
        if (!q) return;
        expect(Number.isSafeInteger(q.amount)).toBe(true);
        expect(q.amount).toBeGreaterThanOrEqual(0);
        expect(q.amount).toBeGreaterThanOrEqual(r.fixedAmount);
        expect(q.amount).toBeLessThanOrEqual(a + r.fixedAmount);
        expect(q.currency).toBe(c);
      }),
      { numRuns: 2000 },
    );
  });

  it("equals the oracle's round(amount × rate) + fixed", async () => {
    await check(
      fc.property(rule, amount, (r, a) => {
        const want = oracle(BigInt(a) * BigInt(r.ratePpm), PPM, r.rounding as RoundingMode) + BigInt(r.fixedAmount);
        expect(quoteFee(r, a, "EUR")?.amount).toBe(Number(want));
      }),
    );
  });

  it("is deterministic and monotone in the amount", async () => {
    await check(
      fc.property(rule, amount, fc.integer({ min: 0, max: 1_000_000 }), (r, a, extra) => {
        expect(quoteFee(r, a, "EUR")).toEqual(quoteFee({ ...r }, a, "EUR"));
        const b = Math.min(a + extra, Number.MAX_SAFE_INTEGER - 1_000_000_000);
        expect(quoteFee(r, b, "EUR")?.amount ?? 0).toBeGreaterThanOrEqual(quoteFee(r, a, "EUR")?.amount ?? 0);
      }),
    );
  });

  /**
   * A fee ledger as fee_events keeps it: charges, and reversals that are the exact negation of the
   * charge they point to (reversalStatement copies `-amount`). Over any sequence of charges and
   * reversals the balance is the sum of the charges not yet reversed, and reversing the rest
   * brings it to exactly zero.
   */
  it("charges plus their reversals sum to zero over random sequences", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("charge" as const), base: amount, currency }),
      fc.record({ kind: fc.constant("reverse" as const), pick: fc.nat() }),
    );
    await check(
      fc.property(rule, fc.array(op, { maxLength: 60 }), (r, ops) => {
        type Entry = { id: number; kind: "charge" | "reversal"; amount: bigint; currency: string; reverses?: number };
        const ledger: Entry[] = [];
        const reversed = new Set<number>();
        const reverse = (charge: Entry) => {
          ledger.push({
            id: ledger.length,
            kind: "reversal",
            amount: -charge.amount,
            currency: charge.currency,
            reverses: charge.id,
          });
          reversed.add(charge.id);
        };
        for (const o of ops) {
          if (o.kind === "charge") {
            const q = quoteFee(r, o.base, o.currency);
            if (q) ledger.push({ id: ledger.length, kind: "charge", amount: BigInt(q.amount), currency: q.currency });
          } else {
            const open = ledger.filter((e) => e.kind === "charge" && !reversed.has(e.id));
            const target = open[o.pick % Math.max(open.length, 1)];
            if (target) reverse(target);
          }
        }
        const sum = (currencyCode?: string) =>
          ledger.filter((e) => !currencyCode || e.currency === currencyCode).reduce((s, e) => s + e.amount, 0n);
        const open = ledger.filter((e) => e.kind === "charge" && !reversed.has(e.id));
        expect(sum()).toBe(open.reduce((s, e) => s + e.amount, 0n));
        for (const e of open) reverse(e);
        expect(sum()).toBe(0n);
        for (const c of ["EUR", "USD", "JPY", "KWD", "CHF"]) expect(sum(c)).toBe(0n);
        // Every charge is reversed exactly once, and never by deleting it.
        const charges = ledger.filter((e) => e.kind === "charge");
        const reversals = ledger.filter((e) => e.kind === "reversal");
        expect(reversals.length).toBe(charges.length);
        expect(new Set(reversals.map((e) => e.reverses)).size).toBe(charges.length);
      }),
      { numRuns: 300 },
    );
  });

  it("a half_up reversal recomputed from the negated base equals the negated charge", async () => {
    await check(
      fc.property(fc.bigInt({ min: 0n, max: MAX_SAFE }), fc.bigInt({ min: 0n, max: PPM }), (base, rate) => {
        const charge = applyRate(base, rate, "half_up");
        const reversal = applyRate(-base, rate, "half_up");
        expect(reversal).toBe(-charge);
        expect(charge + reversal).toBe(0n);
      }),
    );
  });
});

describe("toSafeNumber", () => {
  it("converts exactly inside ±(2^53 − 1) and refuses anything outside", () => {
    expect(toSafeNumber(0n)).toBe(0);
    expect(toSafeNumber(MAX_SAFE)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toSafeNumber(-MAX_SAFE)).toBe(-Number.MAX_SAFE_INTEGER);
    expect(() => toSafeNumber(MAX_SAFE + 1n)).toThrow(RangeError);
    expect(() => toSafeNumber(-MAX_SAFE - 1n)).toThrow(RangeError);
    expect(() => toSafeNumber(2n ** 256n)).toThrow(RangeError);
  });

  it("round-trips every safe integer", async () => {
    await check(
      fc.property(fc.bigInt({ min: -MAX_SAFE, max: MAX_SAFE }), (v) => {
        expect(BigInt(toSafeNumber(v))).toBe(v);
      }),
    );
  });
});

// ── Crypto base units ─────────────────────────────────────────────────────────────────────────

const CANONICAL_DECIMAL = /^(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/;

describe("parseUnits / formatUnits", () => {
  const vectors = [0n, 1n, 10n ** 18n - 1n, 10n ** 30n, 2n ** 256n - 1n];

  it("round-trip 0, 1, 10^18−1, 10^30 and 2^256−1 for every decimals 0…36", () => {
    for (const v of vectors) {
      for (let d = 0; d <= 36; d++) {
        const text = formatUnits(v, d);
        expect(text, `${v} @${d}`).toMatch(CANONICAL_DECIMAL);
        expect(parseUnits(text, d), `${v} @${d}`).toBe(v);
      }
    }
  });

  it("known vectors", () => {
    expect(formatUnits(1_500_000_000_000_000_000n, 18)).toBe("1.5");
    expect(formatUnits(10n ** 18n - 1n, 18)).toBe("0.999999999999999999");
    expect(formatUnits(10n ** 30n, 18)).toBe("1000000000000");
    expect(formatUnits(0n, 18)).toBe("0");
    expect(formatUnits(1n, 0)).toBe("1");
    expect(formatUnits(-15n, 1)).toBe("-1.5");
    expect(parseUnits("1.5", 18)).toBe(1_500_000_000_000_000_000n);
    expect(parseUnits("0.000001", 6)).toBe(1n);
    expect(parseUnits("1.50", 6)).toBe(1_500_000n);
    expect(parseUnits("0", 0)).toBe(0n);
  });

  it("refuses signs, exponents, leading zeros, junk and excess precision", () => {
    for (const bad of ["", "-1", "+1", "1e18", "01", "1.", ".5", " 1", "1 ", "0x10", "1,5", "NaN", "1.2.3"]) {
      expect(() => parseUnits(bad, 18), JSON.stringify(bad)).toThrow(RangeError);
    }
    expect(() => parseUnits("1.5", 0)).toThrow(RangeError);
    expect(() => parseUnits("0.0000001", 6)).toThrow(RangeError);
  });

  it("round-trip random values for random decimals 0…36", async () => {
    await check(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n }), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.bigInt({ min: 0n })),
        fc.integer({ min: 0, max: 36 }),
        (v, d) => {
          const text = formatUnits(v, d);
          expect(text).toMatch(CANONICAL_DECIMAL);
          expect(parseUnits(text, d)).toBe(v);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("format ∘ parse is the identity on canonical decimal strings", async () => {
    await check(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 128n }),
        fc.integer({ min: 0, max: 36 }),
        fc.bigInt({ min: 0n, max: 10n ** 36n - 1n }),
        (whole, d, fracRaw) => {
          const frac = d === 0 ? "" : (fracRaw % 10n ** BigInt(d)).toString().padStart(d, "0").replace(/0+$/, "");
          const text = frac ? `${whole}.${frac}` : `${whole}`;
          expect(formatUnits(parseUnits(text, d), d)).toBe(text);
        },
      ),
    );
  });
});

// ── Currencies ────────────────────────────────────────────────────────────────────────────────

describe("currencies", () => {
  it("knows the ISO 4217 minor units", () => {
    expect(currencyScale("EUR")).toBe(2);
    expect(currencyScale("USD")).toBe(2);
    expect(currencyScale("JPY")).toBe(0);
    expect(currencyScale("KRW")).toBe(0);
    expect(currencyScale("KWD")).toBe(3);
    expect(currencyScale("BHD")).toBe(3);
    expect(currencyScale("XXX")).toBeUndefined();
    expect(currencyScale("eur")).toBeUndefined();
  });

  it("the Currency schema accepts codes and rejects lower case, unknown and overlong codes", () => {
    for (const ok of ["EUR", "JPY", "KWD", "CHF"]) expect(Currency.safeParse(ok).success, ok).toBe(true);
    for (const bad of ["eur", "XXX", "EURO", "", "EU", " EUR", 978, null]) {
      expect(Currency.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it("the Price schema takes integer minor units up to MAX_AMOUNT only", () => {
    expect(Price.safeParse({ amount: 5000, currency: "EUR" }).success).toBe(true);
    expect(Price.safeParse({ amount: 0, currency: "JPY" }).success).toBe(true);
    expect(Price.safeParse({ amount: MAX_AMOUNT, currency: "EUR" }).success).toBe(true);
    for (const bad of [
      { amount: 50.5, currency: "EUR" },
      { amount: -1, currency: "EUR" },
      { amount: "5000", currency: "EUR" },
      { amount: Number.MAX_SAFE_INTEGER + 1, currency: "EUR" },
      { amount: MAX_AMOUNT + 1, currency: "EUR" },
      { amount: 5000, currency: "eur" },
      { amount: 5000, currency: "EUR", extra: 1 },
    ]) {
      expect(Price.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

// ── No float money ────────────────────────────────────────────────────────────────────────────

const moneySources = import.meta.glob<string>("../../src/{money,fees}/**/*.ts", {
  query: "?raw",
  import: "default",
  eager: true,
});

describe("money source", () => {
  it("uses no float rounding or parsing (Math.round, parseFloat, toFixed)", () => {
    const files = Object.keys(moneySources);
    expect(files.some((f) => f.endsWith("/money/money.ts"))).toBe(true);
    expect(files.some((f) => f.endsWith("/fees/fees.ts"))).toBe(true);
    const offences: string[] = [];
    for (const [file, text] of Object.entries(moneySources)) {
      text.split("\n").forEach((line, i) => {
        if (/Math\.round\(|parseFloat\(|toFixed\(/.test(line)) offences.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offences).toEqual([]);
  });
});
