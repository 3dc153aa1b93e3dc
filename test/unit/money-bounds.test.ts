/**
 * Exact totals, pure parts: the bounds' arithmetic, joining the split SQL sums, reading integers
 * without losing digits, the statistics' BigInt additions and the CSV's total cell. (The SQL
 * side and the API are covered by test/api/money-bounds.test.ts.)
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { quoteFee } from "../../src/fees/fees";
import { MAX_AMOUNT, MAX_CHUNK_EVENTS, MAX_FEE, type RoundingMode } from "../../src/money/money";
import { MinorTotal, joinExactSum, minorTotal, toMinor } from "../../src/money/totals";
import { feeDays, feeTotals, settlementTotals } from "../../src/monitoring/stats";
import { csvCell, settlementCsvLine } from "../../src/settlements/csv";
import { check } from "./seed";

const SPLIT = 2n ** 32n;
const INT64_MAX = 2n ** 63n - 1n;
/** What `exactSumSql` yields for these values: the sums of SQLite's truncating `/` and `%` by 2^32. */
const splitSum = (xs: readonly bigint[]) => {
  const hi = xs.reduce((a, x) => a + x / SPLIT, 0n);
  const lo = xs.reduce((a, x) => a + (x % SPLIT), 0n);
  return `${hi}:${lo}`;
};

describe("bounds", () => {
  it("every fee from bounded inputs is at most MAX_FEE, a safe integer (property)", async () => {
    await check(
      fc.property(
        fc.integer({ min: 0, max: MAX_AMOUNT }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: MAX_AMOUNT }),
        fc.constantFrom<RoundingMode>("half_up", "half_even", "floor", "ceil"),
        (price, ratePpm, fixedAmount, rounding) => {
          const q = quoteFee({ ratePpm, fixedAmount, currency: null, rounding, active: true }, price, "EUR");
          expect(Number.isSafeInteger(q?.amount)).toBe(true);
          expect(q?.amount ?? Number.NaN).toBeLessThanOrEqual(MAX_FEE);
        },
      ),
    );
    const top = quoteFee(
      { ratePpm: 1_000_000, fixedAmount: MAX_AMOUNT, currency: null, rounding: "ceil", active: true },
      MAX_AMOUNT,
      "EUR",
    );
    expect(top?.amount).toBe(MAX_FEE);
  });

  it("a chunk of MAX_CHUNK_EVENTS fees of either sign sums inside int64; one more could not", () => {
    expect(BigInt(MAX_CHUNK_EVENTS) * BigInt(MAX_FEE)).toBeLessThanOrEqual(INT64_MAX);
    expect(BigInt(MAX_CHUNK_EVENTS + 1) * BigInt(MAX_FEE)).toBeGreaterThan(INT64_MAX);
  });
});

describe("joinExactSum", () => {
  it("joins the split sums back into the exact total (property, values up to ±(2^63 − 1))", async () => {
    await check(
      fc.property(fc.array(fc.bigInt({ min: -INT64_MAX, max: INT64_MAX }), { maxLength: 50 }), (xs) => {
        expect(joinExactSum(splitSum(xs))).toBe(xs.reduce((a, b) => a + b, 0n));
      }),
    );
  });

  it("reads a sum over no rows (NULL) as 0 and refuses anything else", () => {
    expect(joinExactSum(null)).toBe(0n);
    expect(joinExactSum(undefined)).toBe(0n);
    expect(joinExactSum("2:-1")).toBe(2n * SPLIT - 1n);
    for (const bad of ["12", "1:2:3", "a:b", "1.5:0", 12]) expect(() => joinExactSum(bad), String(bad)).toThrow(RangeError);
  });
});

describe("toMinor / MinorTotal", () => {
  it("takes exact integers only: a number past 2^53 may have lost digits, so it is refused", () => {
    expect(toMinor("9007199254740993")).toBe(9_007_199_254_740_993n);
    expect(toMinor(-5)).toBe(-5n);
    expect(toMinor(7n)).toBe(7n);
    for (const bad of [2 ** 53, 1.5, Number.NaN, "1.5", "1e3", "", null])
      expect(() => toMinor(bad), String(bad)).toThrow(RangeError);
  });

  it("MinorTotal is the canonical decimal of the BigInt", () => {
    for (const v of [0n, -1n, 2n ** 53n + 1n, -(2n ** 64n)]) {
      expect(minorTotal(v)).toBe(v.toString());
      expect(MinorTotal.safeParse(minorTotal(v)).success).toBe(true);
    }
    for (const bad of ["-0", "01", "1.0", "1e3", "", " 1", 12])
      expect(MinorTotal.safeParse(bad).success, String(bad)).toBe(false);
  });
});

describe("statistics add BigInts and send decimal strings", () => {
  const DAY = 20_000; // a day number (days since the epoch)

  it("fee days and totals past 2^63", () => {
    const big = 2n ** 62n;
    const days = feeDays([
      { day: DAY, currency: "EUR", kind: "charge", n: 2, amount: big },
      { day: DAY, currency: "EUR", kind: "charge", n: 2, amount: big },
      { day: DAY, currency: "EUR", kind: "reversal", n: 1, amount: "-3" },
      { day: DAY + 1, currency: "EUR", kind: "charge", n: 1, amount: 5 },
    ]);
    expect(days).toEqual([
      {
        day: "2024-10-04",
        currency: "EUR",
        charges: { count: 4, amount: (2n * big).toString() },
        reversals: { count: 1, amount: "-3" },
        net: (2n * big - 3n).toString(),
      },
      { day: "2024-10-05", currency: "EUR", charges: { count: 1, amount: "5" }, reversals: { count: 0, amount: "0" }, net: "5" },
    ]);
    expect(feeTotals(days)).toEqual([
      {
        currency: "EUR",
        charges: { count: 5, amount: (2n * big + 5n).toString() },
        reversals: { count: 1, amount: "-3" },
        net: (2n * big + 2n).toString(),
      },
    ]);
  });

  it("settlement totals by status", () => {
    expect(
      settlementTotals([
        { currency: "USD", status: "open", n: 1, amount: "9007199254740993" },
        { currency: "EUR", status: "paid", n: 2, amount: 10n },
        { currency: "EUR", status: "bogus", n: 9, amount: 99n },
      ]),
    ).toEqual([
      { currency: "EUR", open: { count: 0, amount: "0" }, invoiced: { count: 0, amount: "0" }, paid: { count: 2, amount: "10" } },
      {
        currency: "USD",
        open: { count: 1, amount: "9007199254740993" },
        invoiced: { count: 0, amount: "0" },
        paid: { count: 0, amount: "0" },
      },
    ]);
  });

  it("refuse an amount that may have lost digits instead of adding it", () => {
    expect(() => feeDays([{ day: DAY, currency: "EUR", kind: "charge", n: 1, amount: 2 ** 60 }])).toThrow(RangeError);
  });
});

describe("CSV total cell", () => {
  it("prints every digit, and a negative total as a number (no formula quote)", () => {
    expect(csvCell(-(2n ** 64n))).toBe("-18446744073709551616");
    expect(csvCell("-5")).toBe("'-5");
    const line = settlementCsvLine({
      id: "st-1",
      beneficiaryId: "b",
      payerUid: "p",
      periodFrom: "2026-01-01T00:00:00.000Z",
      periodTo: "2026-01-02T00:00:00.000Z",
      currency: "EUR",
      totalAmount: "-9007199254740993",
      itemCount: 3,
      status: "open",
      createdAt: null,
      invoicedAt: null,
      paidAt: null,
    });
    expect(line.split(",")[6]).toBe("-9007199254740993");
  });
});
