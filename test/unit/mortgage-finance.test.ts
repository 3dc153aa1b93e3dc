/**
 * Mortgage figures: the worked example of the German annuity convention, published examples of
 * a plan and of effective rates, edge cases (payment too low, a 1-cent loan, 0 %, the largest
 * loan at 100 %), and properties of plans and of the APRC against independent formulas.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_AMOUNT } from "../../src/money/money";
import { ppmToPercent } from "../../src/money/rate";
import {
  EFFECTIVE_RATE_TOLERANCE_PPM,
  MAX_PLAN_MONTHS,
  PlanError,
  type PlanRow,
  ROUNDING_RULE,
  ROUNDING_RULE_ID,
  amortizationPlan,
  annuityPayment,
  aprc,
  aprcPpm,
  offerFigures,
  ratesAgree,
} from "../../src/mortgage/finance";
import { check } from "./seed";

// ── Independent oracles ───────────────────────────────────────────────────────────────────────

/** ⌊(2·b·n + D) / 2D⌋ with D = 12 × 10^6: the half-up of b × n / D for non-negative values. */
const halfUpInterest = (balance: number, nominalPpm: number) => {
  const d = 12_000_000n;
  return Number((2n * BigInt(balance) * BigInt(nominalPpm) + d) / (2n * d));
};

/** Effective annual rate of a nominal rate compounded monthly: (1 + n/12)^12 − 1. */
const monthlyCompounded = (nominalPpm: number) => (1 + nominalPpm / 1e6 / 12) ** 12 - 1;

/** Σ payment × (1 + x)^(−month/12) + fees − drawdown: zero at the APRC. */
const presentValueGap = (drawdown: number, fees: number, plan: readonly PlanRow[], x: number) =>
  plan.reduce((s, r) => s + r.payment * (1 + x) ** (-r.month / 12), fees - drawdown);

const sum = (plan: readonly PlanRow[], key: keyof PlanRow) => plan.reduce((s, r) => s + BigInt(r[key]), 0n);

/** A payment from a loan, nominal rate and initial repayment rate that always shrinks the debt. */
const paymentFor = (loan: number, nominalPpm: number, repaymentPpm: number) =>
  Math.max(annuityPayment(loan, nominalPpm, repaymentPpm), halfUpInterest(loan, nominalPpm) + 1);

/** Only rows that are not a payment (synthetic cash flows for published APRC examples). */
const flows = (...rows: [month: number, payment: number][]): PlanRow[] =>
  rows.map(([month, payment]) => ({ month, payment, interest: 0, principal: 0, balance: 0 }));

// ── The worked example ────────────────────────────────────────────────────────────────────────
// Loan 360,000.00 EUR, nominal 3.20 %, initial repayment 2.00 %, fixed for 15 years.

const LOAN = 36_000_000;
const NOMINAL = 32_000;
const REPAYMENT = 20_000;

describe("worked example: 360,000.00 EUR at 3.20 % with 2.00 % initial repayment", () => {
  it("pays 1,560.00 EUR a month", () => {
    expect(annuityPayment(LOAN, NOMINAL, REPAYMENT)).toBe(156_000);
  });

  const plan = amortizationPlan(LOAN, NOMINAL, 156_000);

  it("leaves 221,615.46 EUR after 15 years and is repaid after 359 payments, the last one smaller", () => {
    expect(plan[179]?.balance).toBe(22_161_546);
    expect(plan).toHaveLength(359);
    expect(plan.slice(0, -1).every((r) => r.payment === 156_000)).toBe(true);
    expect(plan[358]).toEqual({ month: 359, payment: 123_947, interest: 330, principal: 123_617, balance: 0 });
    expect(plan[0]).toEqual({ month: 1, payment: 156_000, interest: 96_000, principal: 60_000, balance: 35_940_000 });
  });

  it("totals 559,719.47 EUR, effective 3.2474 % without fees and 3.2678 % with 900.00 EUR fees", () => {
    const figures = offerFigures({ loan: LOAN, nominalPpm: NOMINAL, payment: 156_000, fixedYears: 15, upfrontFees: 0 });
    expect(figures).toEqual({
      monthlyPayment: 156_000,
      numberOfPayments: 359,
      lastPayment: 123_947,
      totalPaid: 55_971_947,
      totalInterest: 19_971_947,
      remainingDebtAtFixedEnd: 22_161_546,
      fixedPeriodPayments: 180,
      upfrontFees: 0,
      effectiveRatePpm: 32_474,
    });
    expect(ppmToPercent(figures.effectiveRatePpm)).toBe("3.2474");

    const withFees = offerFigures({ loan: LOAN, nominalPpm: NOMINAL, payment: 156_000, fixedYears: 15, upfrontFees: 90_000 });
    expect(withFees.effectiveRatePpm).toBe(32_678);
    expect(ppmToPercent(withFees.effectiveRatePpm)).toBe("3.2678");
    expect({ ...withFees, effectiveRatePpm: 0, upfrontFees: 0 }).toEqual({ ...figures, effectiveRatePpm: 0 });
  });

  it("without fees, the APRC is the monthly-compounded nominal rate", () => {
    const x = aprc(LOAN, 0, plan);
    expect(Math.abs(x - monthlyCompounded(NOMINAL))).toBeLessThan(1e-8);
    expect(x).toBeCloseTo(0.032473527, 9); // the half-up interest roundings move it 3 × 10^-9 below
  });

  it("fees at the payout equal a smaller drawdown", () => {
    expect(aprc(LOAN, 90_000, plan)).toBeCloseTo(0.03267802573, 10);
    expect(presentValueGap(LOAN, 90_000, plan, aprc(LOAN, 90_000, plan))).toBeCloseTo(0, 4);
    expect(aprc(LOAN, 90_000, plan)).toBe(aprc(LOAN - 90_000, 0, plan));
  });

  it("a stated effective rate of 3.27 % agrees, 3.25 % does not", () => {
    expect(ratesAgree(32_700, 32_678)).toBe(true);
    expect(ratesAgree(32_500, 32_678)).toBe(false);
  });
});

// ── Published examples ────────────────────────────────────────────────────────────────────────

describe("published examples", () => {
  // VR Bank (vrbankgl.de, "Baufinanzierung", calculation example as of 2024-12-03): 100,000 EUR net
  // loan at 2.86 % nominal with 1.0 % initial repayment pays 321.67 EUR a month, 568 monthly
  // payments, total 182,508.01 EUR. (Its stated effective 2.91 % includes collateral costs whose
  // amount it does not give; without fees the plan's APRC is 2.8978 %.)
  it("a German bank's annuity example: payment, number of payments and total", () => {
    const payment = annuityPayment(10_000_000, 28_600, 10_000);
    expect(payment).toBe(32_167);
    const figures = offerFigures({ loan: 10_000_000, nominalPpm: 28_600, payment, fixedYears: 5, upfrontFees: 0 });
    expect(figures.numberOfPayments).toBe(568);
    expect(figures.totalPaid).toBe(18_250_801);
    expect(figures.effectiveRatePpm).toBe(28_978);
  });

  // Directive 98/7/EC (amending 87/102/EEC), annex examples of the APR equation.
  it("EU example: 1,000 repaid by 600 after one year and 600 after two years is 13.06623 %", () => {
    const x = aprc(100_000, 0, flows([12, 60_000], [24, 60_000]));
    expect(Math.abs(x - 0.1306623)).toBeLessThan(1e-7);
    // Closed form: 1000 = 600v + 600v², v = 1/(1+X).
    const v = (-600 + Math.sqrt(600 ** 2 + 4 * 600 * 1000)) / 1200;
    expect(x).toBeCloseTo(1 / v - 1, 12);
    expect(aprcPpm(100_000, 0, flows([12, 60_000], [24, 60_000]))).toBe(130_662);
  });

  it("EU example: 50 of 1,000 retained as charges, 1,200 repaid after 18 months is 16.9 %", () => {
    // The directive counts 546 calendar days; on 12 equal months a year it is still 16.9 % to one decimal.
    const x = aprc(100_000, 5_000, flows([18, 120_000]));
    expect(x).toBeCloseTo((1200 / 950) ** (2 / 3) - 1, 12);
    expect(aprcPpm(100_000, 5_000, flows([18, 120_000]))).toBe(168_526);
    expect(Math.floor(x * 1000 + 0.5) / 10).toBe(16.9); // percent, half-up to one decimal
  });
});

// ── Edge cases ────────────────────────────────────────────────────────────────────────────────

describe("edge cases", () => {
  it("names its rounding rule", () => {
    expect(ROUNDING_RULE_ID).toBe("interest-monthly-half-up");
    expect(ROUNDING_RULE).toBe(
      "monthly interest = balance × nominal / 12, half-up to the minor unit; constant payment; last payment clears the balance",
    );
  });

  it("rounds an interest of exactly half a minor unit up", () => {
    // 6 % a year is 0.5 % a month: 100 → 0.5, 500 → 2.5, 700 → 3.5 (half-even would give 0, 2, 4).
    expect(amortizationPlan(100, 60_000, 1_000)[0]).toEqual({ month: 1, payment: 101, interest: 1, principal: 100, balance: 0 });
    expect(amortizationPlan(500, 60_000, 1_000)[0]?.interest).toBe(3);
    expect(amortizationPlan(700, 60_000, 1_000)[0]?.interest).toBe(4);
    // 0.49 and 0.51 of a unit: 98 → 0.49 down, 102 → 0.51 up.
    expect(amortizationPlan(98, 60_000, 1_000)[0]?.interest).toBe(0);
    expect(amortizationPlan(102, 60_000, 1_000)[0]?.interest).toBe(1);
    // The payment too: 600 × (6 % + 0 %) / 12 = 3 exactly; 100 × 6 % / 12 = 0.5 → 1.
    expect(annuityPayment(600, 60_000, 0)).toBe(3);
    expect(annuityPayment(100, 60_000, 0)).toBe(1);
    expect(annuityPayment(100, 30_000, 30_000)).toBe(1);
  });

  it("refuses a payment that does not exceed the first month's interest", () => {
    // First month's interest: 36,000,000 × 3.2 % / 12 = 96,000.
    for (const payment of [0, 1, 95_999, 96_000]) {
      const err = (() => {
        try {
          amortizationPlan(LOAN, NOMINAL, payment);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(PlanError);
      expect((err as PlanError).code).toBe("payment_too_low");
      expect((err as PlanError).details).toEqual({ firstMonthInterest: 96_000, maxMonths: 1200 });
    }
    // One cent more shrinks the debt, but far too slowly.
    expect(() => amortizationPlan(LOAN, NOMINAL, 96_001)).toThrow(PlanError);
    expect(() => offerFigures({ loan: LOAN, nominalPpm: NOMINAL, payment: 96_000, fixedYears: 10, upfrontFees: 0 })).toThrow(
      expect.objectContaining({ code: "payment_too_low" }),
    );
    // No initial repayment: the payment is exactly the interest.
    expect(() => amortizationPlan(LOAN, NOMINAL, annuityPayment(LOAN, NOMINAL, 0))).toThrow(PlanError);
  });

  it("refuses a plan longer than maxMonths", () => {
    // 0 %: 833,333,334 a month repays 10^12 in exactly 1,200 payments; 833,333,333 needs 1,201.
    expect(amortizationPlan(MAX_AMOUNT, 0, 833_333_334)).toHaveLength(1200);
    expect(() => amortizationPlan(MAX_AMOUNT, 0, 833_333_333)).toThrow(/within 1200 months/);
    expect(amortizationPlan(1_000, 0, 100, 10)).toHaveLength(10);
    expect(() => amortizationPlan(1_000, 0, 99, 10)).toThrow(PlanError);
    expect(() => amortizationPlan(1_000, 0, 100, MAX_PLAN_MONTHS + 1)).toThrow(RangeError);
  });

  it("a 1-cent loan", () => {
    // Its annuity rounds to 0, which repays nothing.
    expect(annuityPayment(1, NOMINAL, REPAYMENT)).toBe(0);
    expect(() => amortizationPlan(1, NOMINAL, 0)).toThrow(PlanError);
    const plan = amortizationPlan(1, NOMINAL, 1);
    expect(plan).toEqual([{ month: 1, payment: 1, interest: 0, principal: 1, balance: 0 }]);
    expect(aprc(1, 0, plan)).toBe(0);
    expect(offerFigures({ loan: 1, nominalPpm: NOMINAL, payment: 1, fixedYears: 10, upfrontFees: 0 })).toMatchObject({
      numberOfPayments: 1,
      lastPayment: 1,
      totalPaid: 1,
      totalInterest: 0,
      remainingDebtAtFixedEnd: 0,
      fixedPeriodPayments: 1,
      effectiveRatePpm: 0,
    });
  });

  it("a payment above the whole debt is cut to balance plus interest", () => {
    expect(amortizationPlan(100_000, 120_000, 1_000_000)).toEqual([
      { month: 1, payment: 101_000, interest: 1_000, principal: 100_000, balance: 0 },
    ]);
  });

  it("0 % is plain repayment, with an APRC of exactly 0 (or the fees alone)", () => {
    const plan = amortizationPlan(100_001, 0, 10_000);
    expect(plan).toHaveLength(11);
    expect(plan.every((r) => r.interest === 0 && r.principal === r.payment)).toBe(true);
    expect(plan[10]).toEqual({ month: 11, payment: 1, interest: 0, principal: 1, balance: 0 });
    expect(aprc(100_001, 0, plan)).toBe(0);
    expect(aprcPpm(120_000, 0, amortizationPlan(120_000, 0, 10_000))).toBe(0);
    expect(aprc(100_001, 1_000, plan)).toBeGreaterThan(0);
    expect(annuityPayment(120_000, 0, 100_000)).toBe(1_000);
  });

  it("the fixed period may end before, at or after the last payment", () => {
    const base = { loan: 120_000, nominalPpm: 0, payment: 10_000, upfrontFees: 0 };
    expect(offerFigures({ ...base, fixedYears: 0 })).toMatchObject({ remainingDebtAtFixedEnd: 120_000, fixedPeriodPayments: 0 });
    expect(offerFigures({ ...base, fixedYears: 1 })).toMatchObject({ remainingDebtAtFixedEnd: 0, fixedPeriodPayments: 12 });
    expect(offerFigures({ ...base, fixedYears: 30 })).toMatchObject({ remainingDebtAtFixedEnd: 0, fixedPeriodPayments: 12 });
  });

  it("the largest loan at 100 % stays exact", () => {
    const payment = annuityPayment(MAX_AMOUNT, 1_000_000, 1_000_000);
    expect(payment).toBe(166_666_666_667); // 10^12 × 200 % / 12, half-up
    const plan = amortizationPlan(MAX_AMOUNT, 1_000_000, payment);
    expect(plan[0]).toEqual({
      month: 1,
      payment,
      interest: 83_333_333_333,
      principal: 83_333_333_334,
      balance: 916_666_666_666,
    });
    expect(sum(plan, "principal")).toBe(BigInt(MAX_AMOUNT));
    expect(Math.abs(aprc(MAX_AMOUNT, 0, plan) - monthlyCompounded(1_000_000))).toBeLessThan(1e-6);

    // The slowest repayment there is: one cent above the interest. Totals stay safe integers.
    const figures = offerFigures({
      loan: MAX_AMOUNT,
      nominalPpm: 1_000_000,
      payment: 83_333_333_334,
      fixedYears: 100,
      upfrontFees: 0,
    });
    expect(figures.numberOfPayments).toBeLessThanOrEqual(MAX_PLAN_MONTHS);
    expect(Number.isSafeInteger(figures.totalPaid)).toBe(true);
    expect(BigInt(figures.totalPaid)).toBe(BigInt(MAX_AMOUNT) + BigInt(figures.totalInterest));
    expect(figures.totalPaid).toBeGreaterThan(10 ** 13);
    expect(figures.remainingDebtAtFixedEnd).toBe(0);
  });

  it("refuses inputs out of range", () => {
    expect(() => annuityPayment(0, NOMINAL, REPAYMENT)).toThrow(RangeError);
    expect(() => annuityPayment(MAX_AMOUNT + 1, NOMINAL, REPAYMENT)).toThrow(RangeError);
    expect(() => annuityPayment(1.5, NOMINAL, REPAYMENT)).toThrow(RangeError);
    expect(() => annuityPayment(LOAN, 1_000_001, REPAYMENT)).toThrow(RangeError);
    expect(() => annuityPayment(LOAN, NOMINAL, -1)).toThrow(RangeError);
    expect(() => amortizationPlan(LOAN, -1, 156_000)).toThrow(RangeError);
    expect(() => amortizationPlan(LOAN, NOMINAL, Number.NaN)).toThrow(RangeError);
    const terms = { loan: LOAN, nominalPpm: NOMINAL, payment: 156_000, fixedYears: 15 };
    expect(() => offerFigures({ ...terms, upfrontFees: -1 })).toThrow(RangeError);
    expect(() => offerFigures({ ...terms, upfrontFees: LOAN })).toThrow(RangeError);
    expect(() => offerFigures({ ...terms, upfrontFees: 0, fixedYears: 1.5 })).toThrow(RangeError);
    expect(() => aprc(LOAN, 0, [])).toThrow(RangeError);
    expect(() => aprc(LOAN, 0, flows([1, 0]))).toThrow(RangeError);
    expect(() => aprc(LOAN, 0, flows([0, 100]))).toThrow(RangeError);
  });

  it("a plan paying back less than the drawdown has a negative APRC", () => {
    const x = aprc(100_000, 0, flows([12, 90_000]));
    expect(x).toBeCloseTo(-0.1, 12);
    expect(aprcPpm(100_000, 0, flows([12, 90_000]))).toBe(-100_000);
  });

  it("tolerates a stated effective rate within 0.01 percentage points either way", () => {
    expect(EFFECTIVE_RATE_TOLERANCE_PPM).toBe(100);
    expect(ratesAgree(32_778, 32_678)).toBe(true);
    expect(ratesAgree(32_578, 32_678)).toBe(true);
    expect(ratesAgree(32_779, 32_678)).toBe(false);
    expect(ratesAgree(32_577, 32_678)).toBe(false);
  });
});

// ── Properties ────────────────────────────────────────────────────────────────────────────────

/** Any loan, nominal rate 0–100 % and an initial repayment ≥ 2 % (so every plan ends within 1,200 months). */
const terms = fc.record({
  loan: fc.oneof(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: MAX_AMOUNT })),
  // 6 % (0.5 % a month) makes exact halves common, where the rounding modes differ.
  nominalPpm: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.constant(60_000)),
  repaymentPpm: fc.integer({ min: 20_000, max: 1_000_000 }),
});

describe("properties", () => {
  it("a plan repays the loan exactly, every interest is the half-up of balance × rate / 12", async () => {
    await check(
      fc.property(terms, ({ loan, nominalPpm, repaymentPpm }) => {
        const payment = paymentFor(loan, nominalPpm, repaymentPpm);
        const plan = amortizationPlan(loan, nominalPpm, payment);
        expect(plan.length).toBeLessThanOrEqual(MAX_PLAN_MONTHS);
        expect(sum(plan, "principal")).toBe(BigInt(loan));
        expect(plan[plan.length - 1]?.balance).toBe(0);
        let before = loan;
        plan.forEach((row, i) => {
          expect(row.month).toBe(i + 1);
          expect(row.interest).toBe(halfUpInterest(before, nominalPpm));
          expect(row.principal).toBeGreaterThan(0);
          expect(row.payment).toBe(row.interest + row.principal);
          expect(row.balance).toBe(before - row.principal);
          if (i < plan.length - 1) expect(row.payment).toBe(payment);
          else expect(row.payment).toBe(Math.min(payment, before + row.interest));
          before = row.balance;
        });
        const figures = offerFigures({ loan, nominalPpm, payment, fixedYears: 10, upfrontFees: 0 });
        expect(BigInt(figures.totalPaid)).toBe(BigInt(loan) + BigInt(figures.totalInterest));
        expect(BigInt(figures.totalPaid)).toBe(sum(plan, "payment"));
        expect(figures.remainingDebtAtFixedEnd).toBe(plan[Math.min(120, plan.length) - 1]?.balance);
      }),
      { numRuns: 200 },
    );
  });

  it("without fees, the APRC of a plan is (1 + nominal/12)^12 − 1 within 1 ppm", async () => {
    // The half-up roundings shift a month's interest by at most half a minor unit, which moves the
    // APRC by about 12 / loan at most: below 1 ppm from 10^8 minor units up.
    await check(
      fc.property(terms, fc.integer({ min: 100_000_000, max: MAX_AMOUNT }), ({ nominalPpm, repaymentPpm }, loan) => {
        const plan = amortizationPlan(loan, nominalPpm, paymentFor(loan, nominalPpm, repaymentPpm));
        const x = aprc(loan, 0, plan);
        expect(Math.abs(x - monthlyCompounded(nominalPpm))).toBeLessThanOrEqual(1e-6);
        expect(Math.abs(aprcPpm(loan, 0, plan) - x * 1e6)).toBeLessThanOrEqual(0.5 + 1e-6);
      }),
      { numRuns: 150 },
    );
  });

  it("the APRC solves the Annex I equation and grows with the fees", async () => {
    await check(
      fc.property(
        terms,
        fc.integer({ min: 1_000_000, max: MAX_AMOUNT }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 0.4, noNaN: true }),
        ({ nominalPpm, repaymentPpm }, loan, feeShare, extraShare) => {
          const plan = amortizationPlan(loan, nominalPpm, paymentFor(loan, nominalPpm, repaymentPpm));
          const fees = Math.floor(loan * feeShare);
          // A fee difference of at least loan / 10^7 moves the APRC far beyond the solver's 10^-12.
          const more = fees + Math.ceil(loan / 1e7) + Math.floor(loan * extraShare);
          const x = aprc(loan, fees, plan);
          const y = aprc(loan, more, plan);
          expect(y).toBeGreaterThan(x);
          // Present values balance to a tiny fraction of the loan.
          expect(Math.abs(presentValueGap(loan, fees, plan, x))).toBeLessThan(loan * 1e-9 + 1e-3);
          expect(Math.abs(presentValueGap(loan, more, plan, y))).toBeLessThan(loan * 1e-9 + 1e-3);
        },
      ),
      { numRuns: 150 },
    );
  });
});
