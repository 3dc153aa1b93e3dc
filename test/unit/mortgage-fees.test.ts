/// <reference types="vite/client" />
/**
 * The two mortgage fee rules as the migrations define them — `mortgage.contract`, 0.5 % of the
 * loan, and `mortgage.tranche`, 0.2 % of the nominal, both half-up and paid by the lender — and
 * `quoteFee` on them, against an independent BigInt oracle. The API tests check that the charged
 * fee events equal `quoteFee` of the stored rule; these properties pin the rule's arithmetic.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type FeeRule, quoteFee } from "../../src/fees/fees";
import { MAX_AMOUNT } from "../../src/money/money";
import { check } from "./seed";

const migrations = import.meta.glob<string>("../../migrations/*.sql", { query: "?raw", import: "default", eager: true });
const actions = import.meta.glob<string>("../../src/mortgage/*.ts", { query: "?raw", import: "default", eager: true });

type Rule = Pick<FeeRule, "ratePpm" | "fixedAmount" | "currency" | "rounding" | "active">;

/** The last `UPDATE fees` of the migrations that activates rule `id`: its rate and payer. */
function activatedRule(id: string): { ratePpm: number; payer: string } {
  const re = new RegExp(
    `UPDATE \`fees\` SET \`rate_ppm\` = (\\d+), \`active\` = 1, \`payer\` = '(\\w+)'[^;]*?WHERE \`id\` = '${id.replace(".", "\\.")}'`,
    "g",
  );
  let found: { ratePpm: number; payer: string } | null = null;
  for (const file of Object.keys(migrations).sort()) {
    for (const m of (migrations[file] ?? "").matchAll(re)) found = { ratePpm: Number(m[1]), payer: m[2] ?? "" };
  }
  if (!found) throw new Error(`no migration activates ${id}`);
  return found;
}

const CONTRACT: Rule = { ratePpm: 5000, fixedAmount: 0, currency: null, rounding: "half_up", active: true };
const TRANCHE: Rule = { ratePpm: 2000, fixedAmount: 0, currency: null, rounding: "half_up", active: true };

/** Independent reference: ⌊(2·base·ppm + 10⁶) / (2·10⁶)⌋, i.e. base × rate rounded half up. */
const oracle = (base: number, ppm: number) => Number((2n * BigInt(base) * BigInt(ppm) + 1_000_000n) / 2_000_000n);

const fee = (rule: Rule, base: number) => quoteFee(rule, base, "EUR")?.amount;
const amount = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: MAX_AMOUNT }));

describe("the mortgage fee rules", () => {
  it("are activated by the migrations at 0.5 % and 0.2 %, paid by the lender", () => {
    expect(activatedRule("mortgage.contract")).toEqual({ ratePpm: CONTRACT.ratePpm, payer: "lender" });
    expect(activatedRule("mortgage.tranche")).toEqual({ ratePpm: TRANCHE.ratePpm, payer: "lender" });
  });

  it("are charged from the lender's uid, never the borrower's or an investor's", () => {
    const text = Object.entries(actions)
      .filter(([file]) => /\/(contracts|tranches)\.actions\.ts$/.test(file))
      .map(([, t]) => t);
    expect(text).toHaveLength(2);
    for (const t of text) {
      const payers = [...t.matchAll(/(\w+) AS payer_uid/g)].map((m) => m[1]);
      expect(payers).toEqual(["lender_uid"]);
    }
  });

  it("worked examples and the half-up boundary", () => {
    expect(fee(CONTRACT, 36_000_000)).toBe(180_000);
    expect(fee(TRANCHE, 1_000_000)).toBe(2_000);
    // 100 × 0.5 % = 0.5 rounds up; 99 × 0.5 % = 0.495 rounds down.
    expect([fee(CONTRACT, 100), fee(CONTRACT, 99), fee(CONTRACT, 0)]).toEqual([1, 0, 0]);
    expect([fee(TRANCHE, 250), fee(TRANCHE, 249), fee(TRANCHE, 750)]).toEqual([1, 0, 2]);
    expect(fee(CONTRACT, MAX_AMOUNT)).toBe(5_000_000_000);
    expect(quoteFee({ ...CONTRACT, active: false }, 36_000_000, "EUR")).toBeNull();
  });

  it("quoteFee equals the oracle for every amount up to MAX_AMOUNT", async () => {
    await check(
      fc.property(amount, (base) => {
        expect(fee(CONTRACT, base)).toBe(oracle(base, 5000));
        expect(fee(TRANCHE, base)).toBe(oracle(base, 2000));
      }),
      { numRuns: 2000 },
    );
  });

  it("never more than the rate allows (plus half a unit), and never less for a larger amount", async () => {
    await check(
      fc.property(amount, amount, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        for (const [rule, perMille] of [
          [CONTRACT, 5],
          [TRANCHE, 2],
        ] as const) {
          const f = fee(rule, lo) ?? -1;
          // f ≤ lo × rate + ½  ⇔  2000·f ≤ 2·lo·perMille + 1000
          expect(2000 * f).toBeLessThanOrEqual(2 * lo * perMille + 1000);
          expect(f).toBeLessThanOrEqual(fee(rule, hi) ?? -1);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("splitting a nominal into tranches changes the total fee by at most half a unit per part", async () => {
    await check(
      fc.property(fc.array(fc.integer({ min: 1, max: 100_000_000 }), { minLength: 1, maxLength: 20 }), (parts) => {
        const whole = parts.reduce((s, p) => s + p, 0);
        const split = parts.reduce((s, p) => s + (fee(TRANCHE, p) ?? 0), 0);
        // Each part's rounding is within (−½, ½], the whole's too.
        expect(2 * Math.abs(split - (fee(TRANCHE, whole) ?? 0))).toBeLessThanOrEqual(parts.length + 1);
      }),
      { numRuns: 500 },
    );
  });
});
