/**
 * The portal kernel's pure helpers (public/js/core.js): money shown from minor units and parsed
 * from what a person types, both without floats, and rates in ppm shown as percentages.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AREAS, money, parseMoney, ppmPercent } from "../../public/js/core.js";

describe("money", () => {
  it("shows minor units with two decimals and German grouping", () => {
    expect(money({ amount: 5, currency: "EUR" })).toBe("0,05 EUR");
    expect(money({ amount: 123456, currency: "EUR" })).toBe("1.234,56 EUR");
    expect(money({ amount: -100, currency: "EUR" })).toBe("-1,00 EUR");
    expect(money({ amount: "900719925474099312", currency: "EUR" })).toBe("9.007.199.254.740.993,12 EUR");
    expect(money(null)).toBe("–");
  });

  it("parses what a person types into minor units", () => {
    expect(parseMoney("50")).toBe(5000);
    expect(parseMoney("49,9")).toBe(4990);
    expect(parseMoney("1.234,56")).toBe(123456);
    expect(parseMoney("1234.5")).toBe(123450);
    expect(parseMoney(" 360 000 ")).toBe(36000000);
    for (const bad of ["", "abc", "1,234", "-5", "1.2.3", "0,001"]) expect(parseMoney(bad), bad).toBeNull();
  });

  it("round-trips every amount: parse(show(x)) === x", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (amount) => {
        expect(parseMoney(money({ amount, currency: "" }))).toBe(amount);
      }),
    );
  });
});

describe("ppmPercent", () => {
  it("shows parts per million as a percentage with one decimal, half up", () => {
    expect(ppmPercent(0)).toBe("0,0 %");
    expect(ppmPercent(1_000_000)).toBe("100,0 %");
    expect(ppmPercent(123_499)).toBe("12,3 %");
    expect(ppmPercent(123_500)).toBe("12,4 %");
    expect(ppmPercent("5000")).toBe("0,5 %");
  });
});

describe("areas", () => {
  it("lists each area page once, the identity page first", () => {
    expect(AREAS[0]?.[0]).toBe("/");
    expect(new Set(AREAS.map(([href]) => href)).size).toBe(AREAS.length);
  });
});
