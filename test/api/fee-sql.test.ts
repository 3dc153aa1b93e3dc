import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createDb } from "../../src/db/client";
import { feeAmountSql, quoteFee } from "../../src/fees/fees";
import { ROUNDING_MODES } from "../../src/db/schema";
import { testEnv } from "../support/client";
import { check } from "../unit/seed";

const db = createDb(testEnv.DB);

/** Evaluates the SQL fee expression in D1 for literal inputs. */
async function sqlFee(base: number, ratePpm: number, fixed: number, rounding: string): Promise<number> {
  const row = await db.get<{ fee: number }>(
    sql`SELECT ${feeAmountSql(sql`${base}`, sql`${ratePpm}`, sql`${fixed}`, sql`${rounding}`)} AS fee`,
  );
  return row.fee;
}

describe("feeAmountSql (the booking batch's fee) agrees with quoteFee (the spec)", () => {
  it("on known vectors, including ties and the largest exact amount", async () => {
    for (const rounding of ROUNDING_MODES) {
      for (const [base, rate] of [
        [5000, 20000],
        [25, 20000],
        [75, 20000],
        [1, 20000],
        [0, 20000],
        [Number.MAX_SAFE_INTEGER, 20000],
        [Number.MAX_SAFE_INTEGER - 7, 1_000_000],
        [999_999, 999_999],
      ] as const) {
        const spec = quoteFee({ ratePpm: rate, fixedAmount: 7, currency: null, rounding, active: true }, base, "EUR");
        expect(await sqlFee(base, rate, 7, rounding), `${rounding} ${base} × ${rate}`).toBe(spec?.amount);
      }
    }
  });

  it("on random amounts, rates and modes", async () => {
    await check(
      fc.asyncProperty(
        fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.maxSafeNat()),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...ROUNDING_MODES),
        async (base, rate, fixed, rounding) => {
          // Fees beyond 2^53 are refused by quoteFee (and cannot arise from valid prices and rates ≤ 100 %).
          fc.pre(base + fixed <= Number.MAX_SAFE_INTEGER);
          const spec = quoteFee({ ratePpm: rate, fixedAmount: fixed, currency: null, rounding, active: true }, base, "EUR");
          expect(await sqlFee(base, rate, fixed, rounding)).toBe(spec?.amount);
        },
      ),
      { numRuns: 300 },
    );
  });
});
