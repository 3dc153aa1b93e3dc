/**
 * Rates as integer ppm: parsing JSON numbers and decimal strings without float arithmetic (accept
 * and reject tables, an independent oracle, every ppm round-tripped) and the display forms.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseUnits } from "../../src/money/money";
import { MAX_RATE_PPM, RATE_DECIMALS, ppmToPercent, ppmToRate, rateToPpm } from "../../src/money/rate";
import { check } from "./seed";

describe("rateToPpm", () => {
  it("has six decimals (ppm)", () => {
    expect(RATE_DECIMALS).toBe(6);
    expect(MAX_RATE_PPM).toBe(1_000_000);
  });

  const accepted: [number | string, number][] = [
    [0, 0],
    [-0, 0],
    ["0", 0],
    ["0.0", 0],
    ["0e5", 0],
    [0.1, 100_000],
    ["0.1", 100_000],
    [0.04, 40_000],
    [0.032, 32_000],
    ["0.0325", 32_500],
    [0.0325, 32_500],
    // Products a float multiplication by 10^6 gets wrong (0.07 × 1e6 = 70000.00000000001).
    [0.07, 70_000],
    [0.58, 580_000],
    [0.29, 290_000],
    [0.000001, 1],
    ["0.000001", 1],
    [0.999999, 999_999],
    [1, 1_000_000],
    ["1", 1_000_000],
    ["1.000000", 1_000_000],
    // Exact exponent forms.
    ["1e-3", 1000],
    ["1E-3", 1000],
    ["25e-3", 25_000],
    ["0.5e-5", 5],
    ["0.1e1", 1_000_000],
    ["1e0", 1_000_000],
    ["1e+0", 1_000_000],
    // Written zeros past the sixth place change nothing.
    ["0.03250000", 32_500],
  ];
  it.each(accepted)("accepts %j as %i ppm", (input, ppm) => {
    expect(rateToPpm(input)).toBe(ppm);
  });

  const rejected: unknown[] = [
    1e-7, // String(1e-7) is "1e-7": seven decimal places
    "1e-7",
    "0.0000001",
    "0.0000015",
    "0.1e-6",
    0.30000000000000004, // a float sum, more than six decimal places
    5e-324,
    -0.01,
    "-0.01",
    "-0",
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    "NaN",
    "Infinity",
    1.5,
    2,
    "1.000001",
    "1.1",
    1e21,
    "1e1",
    "1e400",
    "1e-400",
    "1e99999999999",
    "",
    " 0.1",
    "0.1 ",
    "+0.1",
    ".5",
    "5.",
    "00.1",
    "01",
    "0x10",
    "1,5",
    "0.1.2",
    "e5",
    null,
    undefined,
    {},
    [],
    true,
  ];
  it.each(rejected)("rejects %j with a RangeError", (input) => {
    expect(() => rateToPpm(input as number)).toThrow(RangeError);
  });

  it("rejects a BigInt (not a JSON value)", () => {
    expect(() => rateToPpm(10n as unknown as number)).toThrow(RangeError);
  });

  it("says what is wrong", () => {
    expect(() => rateToPpm("0.0000001")).toThrow(/at most 6 decimal places \(too many decimal places\): got "0\.0000001"/);
    expect(() => rateToPpm(-0.01)).toThrow(/negative/);
    expect(() => rateToPpm(1.5)).toThrow(/more than 1/);
    expect(() => rateToPpm(Number.NaN)).toThrow(/not a finite number/);
  });

  it("agrees with the money kernel's decimal parser on plain decimals (property)", async () => {
    await check(
      fc.property(fc.integer({ min: 0, max: 1 }), fc.stringMatching(/^[0-9]{0,6}$/), (whole, frac) => {
        const text = frac ? `${whole}.${frac}` : `${whole}`;
        const expected = parseUnits(text, 6);
        if (expected > 1_000_000n) expect(() => rateToPpm(text)).toThrow(RangeError);
        else expect(rateToPpm(text)).toBe(Number(expected));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads the same value in exponent form (property)", async () => {
    await check(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 6 }), (ppm, k) => {
        // ppm × 10^-6 written as (ppm × 10^k) e −(6 + k).
        expect(rateToPpm(`${ppm}${"0".repeat(k)}e-${6 + k}`)).toBe(ppm);
      }),
    );
  });

  it("round-trips every ppm through its JSON number and its plain decimal string", () => {
    const misses: number[] = [];
    for (let ppm = 0; ppm <= 1_000_000; ppm++) {
      const asNumber = rateToPpm(ppmToRate(ppm));
      const text = `${Math.trunc(ppm / 1_000_000)}.${String(ppm % 1_000_000).padStart(6, "0")}`;
      if (asNumber !== ppm || rateToPpm(text) !== ppm) misses.push(ppm);
      if (misses.length > 5) break;
    }
    expect(misses).toEqual([]);
  });
});

describe("ppmToRate / ppmToPercent", () => {
  it("displays a rate as the JSON number clients know", () => {
    expect(ppmToRate(32_000)).toBe(0.032);
    expect(ppmToRate(0)).toBe(0);
    expect(ppmToRate(1_000_000)).toBe(1);
    expect(String(ppmToRate(70_000))).toBe("0.07");
    expect(() => ppmToRate(0.5)).toThrow(RangeError);
  });

  it.each([
    [32_474, "3.2474"],
    [32_678, "3.2678"],
    [32_000, "3.2000"],
    [0, "0.0000"],
    [1, "0.0001"],
    [999_999, "99.9999"],
    [1_000_000, "100.0000"],
    [-100, "-0.0100"],
    [1_613_035, "161.3035"],
  ])("shows %i ppm as %s %%", (ppm, text) => {
    expect(ppmToPercent(ppm)).toBe(text);
  });

  it("keeps every digit (property)", async () => {
    await check(
      fc.property(fc.integer({ min: -(10 ** 12), max: 10 ** 12 }), (ppm) => {
        const text = ppmToPercent(ppm);
        expect(text).toMatch(/^-?(0|[1-9][0-9]*)\.[0-9]{4}$/);
        const units = parseUnits(text.replace(/^-/, ""), 4);
        expect(text.startsWith("-") ? -units : units).toBe(BigInt(ppm));
      }),
    );
  });

  it("refuses a non-integer", () => {
    expect(() => ppmToPercent(1.5)).toThrow(RangeError);
    expect(() => ppmToPercent(Number.NaN)).toThrow(RangeError);
  });
});
