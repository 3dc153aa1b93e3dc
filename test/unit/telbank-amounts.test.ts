/**
 * Exact crypto amounts: decimal strings to base units and back, the decimal edge cases (18
 * decimals, leading zeros, exponent notation, signs, excess precision), and JSON numbers only
 * when they are exactly what the client wrote.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_DECIMALS, MAX_UNIT_DIGITS, decimalsOf, formatAmount, numberText, parseAmount } from "../../src/telbank/amounts";

const units = (input: string | number, decimals = 18) => {
  const r = parseAmount(input, decimals);
  return r.ok ? r.units.toString() : `refused: ${r.message}`;
};

describe("parseAmount", () => {
  it("reads decimals exactly, up to the asset's decimals", () => {
    expect(units("1.5")).toBe("1500000000000000000");
    expect(units("0.000000000000000001")).toBe("1");
    expect(units("123456789.123456789123456789")).toBe("123456789123456789123456789");
    expect(units("0")).toBe("0");
    expect(units("0.0")).toBe("0");
    expect(units("1.50000000")).toBe("1500000000000000000");
    expect(units("0.00000001", 8)).toBe("1");
    expect(units("21000000", 8)).toBe("2100000000000000");
  });

  it("refuses more decimals than the asset allows instead of rounding", () => {
    expect(units("0.0000000000000000001")).toMatch(/19 decimals; the asset allows at most 18/);
    expect(units("0.000000001", 8)).toMatch(/at most 8/);
    expect(units("1.0000001", 6)).toMatch(/at most 6/);
    expect(units("1.5", 0)).toMatch(/at most 0/);
  });

  it("refuses leading zeros, exponents, signs, spaces and bare points", () => {
    for (const bad of [
      "01",
      "00.5",
      "007",
      "1e18",
      "1E-18",
      "1.5e3",
      "+1",
      "-1",
      "-0",
      " 1",
      "1 ",
      ".5",
      "1.",
      "",
      "0x10",
      "1,5",
      "Infinity",
      "NaN",
      "1_000",
      "١",
    ]) {
      expect(units(bad), bad).toMatch(/^refused: must be a non-negative decimal/);
    }
  });

  it(`refuses amounts of more than ${MAX_UNIT_DIGITS} digits in base units`, () => {
    expect(units(`${"9".repeat(18)}.${"9".repeat(18)}`)).toBe("9".repeat(36));
    expect(units(`1${"0".repeat(18)}`)).toBe("refused: is too large");
  });

  it("accepts a JSON number only when it is exact", () => {
    expect(units(1.5)).toBe("1500000000000000000");
    expect(units(0.1)).toBe("100000000000000000");
    expect(units(42)).toBe("42000000000000000000");
    expect(units(0.00001234, 8)).toBe("1234");
    expect(units(123456789012345)).toBe("123456789012345000000000000000000");
    // 16+ significant digits, exponent forms, negatives and non-finite values cannot be trusted.
    for (const bad of [1234567890123456, 0.1234567890123456, 1e21, 1e-7, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53 + 2]) {
      expect(units(bad), String(bad)).toMatch(/^refused: a JSON number is accepted only if it is exact/);
    }
    expect(units(0.123456789, 8)).toMatch(/at most 8/);
  });

  it("numberText gives the decimal the client wrote", () => {
    expect(numberText(0.3)).toBe("0.3");
    expect(numberText(100)).toBe("100");
    expect(numberText(0.1 + 0.2)).toBeNull(); // 0.30000000000000004: 17 significant digits
  });

  it("round-trips every amount through base units (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 36n - 1n }), fc.integer({ min: 0, max: 18 }), (u, d) => {
        const text = formatAmount(u, d);
        const back = parseAmount(text, d);
        expect(back).toEqual({ ok: true, units: u, decimals: d });
      }),
    );
  });
});

describe("decimalsOf", () => {
  it("knows common assets and gives unknown symbols the maximum", () => {
    expect(decimalsOf("BTC")).toBe(8);
    expect(decimalsOf("ETH")).toBe(18);
    expect(decimalsOf("USDT")).toBe(6);
    expect(decimalsOf("XYZCOIN")).toBe(DEFAULT_DECIMALS);
  });
});

describe("formatAmount", () => {
  it("drops trailing zeros only", () => {
    expect(formatAmount(1500000000000000000n, 18)).toBe("1.5");
    expect(formatAmount(1n, 18)).toBe("0.000000000000000001");
    expect(formatAmount(100n, 0)).toBe("100");
    expect(formatAmount(0n, 8)).toBe("0");
  });
});
