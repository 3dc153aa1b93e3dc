/**
 * Mortgage figures, pure: the monthly payment of the German annuity convention, the amortization
 * plan, and every price figure an offer must show (remaining debt at the end of the fixed-interest
 * period, number of payments, total paid, effective annual rate / APRC). The rules are written
 * out in docs/mortgage-figures.md.
 *
 * Amounts are integers in minor units, computed with BigInt and returned as safe integers; rates
 * are integer ppm (./../money/rate.ts). The one float is the APRC: it is the root of a polynomial,
 * not an amount, and is only ever reported rounded to ppm.
 *
 * @module
 */
import { MAX_AMOUNT, PPM, divRound, toSafeNumber } from "../money/money";
import { MAX_RATE_PPM } from "../money/rate";

/** Stable id of the rounding rule below, for offers and plans that name the rule they follow. */
export const ROUNDING_RULE_ID = "interest-monthly-half-up";

/** The rounding rule every figure here follows, in words. */
export const ROUNDING_RULE =
  "monthly interest = balance × nominal / 12, half-up to the minor unit; constant payment; last payment clears the balance";

/** Longest plan computed: 100 years of monthly payments. Bounds every total (see {@link offerFigures}). */
export const MAX_PLAN_MONTHS = 1200;

/** A stated effective rate may differ from the computed one by this much: 100 ppm = 0.01 percentage points. */
export const EFFECTIVE_RATE_TOLERANCE_PPM = 100;

/** Months per year, and the denominator of a month's interest: balance × ppm / (12 × 10^6). */
const MONTHS = 12n;
const MONTHLY_DENOMINATOR = MONTHS * PPM;

/** Why a plan cannot be made from these terms. */
export type PlanErrorCode = "payment_too_low";

/**
 * The terms give no plan: the payment does not exceed the first month's interest (the debt would
 * never shrink), or the loan is not repaid within the allowed number of months. Routes map it to
 * a 4xx with `code`; `details` says which limit was hit.
 */
export class PlanError extends Error {
  constructor(
    readonly code: PlanErrorCode,
    message: string,
    readonly details: { firstMonthInterest: number; maxMonths: number },
  ) {
    super(message);
    this.name = "PlanError";
  }
}

/** One month of a plan. `balance` is what remains after this month's payment. */
export interface PlanRow {
  /** 1 for the first payment, one month after the payout. */
  month: number;
  payment: number;
  interest: number;
  principal: number;
  balance: number;
}

/** Every price figure of an offer, computed from its terms by {@link offerFigures}. */
export interface OfferFigures {
  /** The constant monthly payment (the last one may be smaller). */
  monthlyPayment: number;
  /** Payments until the loan is repaid. */
  numberOfPayments: number;
  /** The last, usually smaller, payment: remaining balance plus that month's interest. */
  lastPayment: number;
  /** Sum of all payments (without the upfront fees): loan + totalInterest. */
  totalPaid: number;
  totalInterest: number;
  /** Balance after the last payment of the fixed-interest period (0 if the loan is repaid within it). */
  remainingDebtAtFixedEnd: number;
  /** Number of payments within the fixed-interest period: min(fixedYears × 12, numberOfPayments). */
  fixedPeriodPayments: number;
  /** Fees the borrower pays at the payout, part of the effective rate. */
  upfrontFees: number;
  /** Effective annual rate (APRC) over the whole plan, half-up to ppm. */
  effectiveRatePpm: number;
}

function requireInt(name: string, value: number, min: number, max: number): bigint {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}: got ${value}`);
  }
  return BigInt(value);
}

/** A month's interest on `balance`: balance × nominal / 12, half-up to the minor unit. */
const monthInterest = (balance: bigint, nominalPpm: bigint) => divRound(balance * nominalPpm, MONTHLY_DENOMINATOR, "half_up");

/**
 * The constant monthly payment of the German annuity convention ("anfängliche Tilgung"):
 * loan × (nominal rate + initial repayment rate) / 12, half-up to the minor unit. Computed in
 * BigInt: loan (≤ 10^12) × ppm sum (≤ 2 × 10^6) passes 2^53. At most 1.67 × 10^11.
 */
export function annuityPayment(loan: number, nominalPpm: number, initialRepaymentPpm: number): number {
  const l = requireInt("loan", loan, 1, MAX_AMOUNT);
  const n = requireInt("nominalPpm", nominalPpm, 0, MAX_RATE_PPM);
  const r = requireInt("initialRepaymentPpm", initialRepaymentPpm, 0, MAX_RATE_PPM);
  return Number(divRound(l * (n + r), MONTHLY_DENOMINATOR, "half_up"));
}

/**
 * The amortization plan of `loan` at `nominalPpm` with a constant `payment`: each month the
 * interest is the half-up of balance × nominal / 12, the principal is payment − interest, and the
 * last payment is the remaining balance plus its interest, so the principals sum to the loan
 * exactly and the final balance is 0.
 *
 * The interest never grows (a payment above the first month's interest shrinks the balance, which
 * shrinks the next interest), so the first month decides whether the debt shrinks at all.
 *
 * @throws PlanError `payment_too_low` if payment ≤ the first month's interest, or the loan is not
 *   repaid within `maxMonths` (≤ {@link MAX_PLAN_MONTHS}).
 * @throws RangeError for inputs out of range (loan 1…10^12, nominal 0…10^6 ppm, payment a
 *   non-negative safe integer; a payment of 0, e.g. the annuity of a loan of a few minor units, is
 *   `payment_too_low`).
 */
export function amortizationPlan(loan: number, nominalPpm: number, payment: number, maxMonths = MAX_PLAN_MONTHS): PlanRow[] {
  const l = requireInt("loan", loan, 1, MAX_AMOUNT);
  const n = requireInt("nominalPpm", nominalPpm, 0, MAX_RATE_PPM);
  const p = requireInt("payment", payment, 0, Number.MAX_SAFE_INTEGER);
  requireInt("maxMonths", maxMonths, 1, MAX_PLAN_MONTHS);
  const firstInterest = monthInterest(l, n);
  const details = { firstMonthInterest: Number(firstInterest), maxMonths };
  if (p <= firstInterest) {
    throw new PlanError(
      "payment_too_low",
      `the payment ${payment} does not exceed the first month's interest ${firstInterest}, so the loan is never repaid`,
      details,
    );
  }
  const rows: PlanRow[] = [];
  let balance = l;
  for (let month = 1; balance > 0n; month++) {
    if (month > maxMonths) {
      throw new PlanError(
        "payment_too_low",
        `the payment ${payment} does not repay the loan within ${maxMonths} months`,
        details,
      );
    }
    const interest = monthInterest(balance, n);
    // The last payment clears the balance exactly instead of overpaying it.
    const paid = balance + interest <= p ? balance + interest : p;
    const principal = paid - interest;
    balance -= principal;
    rows.push({
      month,
      payment: Number(paid),
      interest: Number(interest),
      principal: Number(principal),
      balance: Number(balance),
    });
  }
  return rows;
}

/** Time of a plan row in years from the payout: month k is k/12 (12 equal months a year). */
const yearsOf = (row: PlanRow) => row.month / 12;

/** Convergence of the APRC solver: a step below this in X (or a bracket this narrow) ends it. */
const APRC_TOLERANCE = 1e-12;

/**
 * The annual percentage rate of charge of a plan (EU Directive 2014/17/EU, Annex I), as a
 * fraction: the X with drawdown = upfrontFees + Σ payment_k × (1 + X)^(−month_k / 12), i.e. the
 * present value of what the borrower receives equals that of everything the borrower pays, fees
 * at the payout counting at t = 0 (the same as a drawdown of drawdown − fees).
 *
 * Float64 is acceptable here because X is the root of a polynomial, not an amount: the right side
 * minus the left is strictly decreasing in X, +∞ near X = −1 and fees − drawdown < 0 for large
 * X, so there is exactly one root. It is found by Newton's method inside a bracket that always
 * holds the root, falling back to bisection whenever a Newton step would leave it, until a step
 * is below 1e-12 in X (or the value is exactly 0). With amounts below 2^53 the sums lose less than
 * 1e-13 relatively, far inside the 1-ppm rounding of {@link aprcPpm}.
 *
 * @throws RangeError unless 0 ≤ upfrontFees < drawdown, and the plan is non-empty with positive
 *   months and non-negative payments, at least one positive.
 */
export function aprc(drawdown: number, upfrontFees: number, plan: readonly PlanRow[]): number {
  requireInt("drawdown", drawdown, 1, Number.MAX_SAFE_INTEGER);
  requireInt("upfrontFees", upfrontFees, 0, drawdown - 1);
  if (plan.length === 0) throw new RangeError("the plan has no payments");
  let paidTotal = 0;
  for (const row of plan) {
    requireInt("month", row.month, 1, Number.MAX_SAFE_INTEGER);
    requireInt("payment", row.payment, 0, Number.MAX_SAFE_INTEGER);
    paidTotal += row.payment;
  }
  if (paidTotal <= 0) throw new RangeError("the plan has no positive payment");

  const base = upfrontFees - drawdown; // < 0
  /** f(X) = fees − drawdown + Σ p (1+X)^(−t), and f'(X) = Σ −t p (1+X)^(−t−1). */
  const evaluate = (x: number): [number, number] => {
    let f = base;
    let df = 0;
    for (const row of plan) {
      if (row.payment === 0) continue; // 0 × ∞ near X = −1 would be NaN
      const t = yearsOf(row);
      const pv = row.payment * (1 + x) ** -t;
      f += pv;
      df -= (t * pv) / (1 + x);
    }
    return [f, df];
  };

  // Exactly zero when the payments and fees return just the drawdown (e.g. a 0 % loan without fees).
  const [f0] = evaluate(0);
  if (f0 === 0) return 0;
  // Bracket [lo, hi] with f(lo) > 0 > f(hi).
  let lo: number;
  let hi: number;
  if (f0 > 0) {
    lo = 0;
    hi = 1;
    while (evaluate(hi)[0] > 0) {
      lo = hi;
      hi *= 2;
      if (hi > 1e12) throw new RangeError("the APRC is beyond 10^12");
    }
  } else {
    hi = 0;
    lo = -0.5;
    while (evaluate(lo)[0] <= 0) {
      hi = lo;
      lo = -1 + (1 + lo) / 2;
      if (lo <= -1 + 1e-12) throw new RangeError("the APRC is below −100 %");
    }
  }

  let x = (lo + hi) / 2;
  for (let i = 0; i < 200; i++) {
    const [f, df] = evaluate(x);
    if (f === 0) return x;
    if (f > 0) lo = x;
    else hi = x;
    const newton = df < 0 ? x - f / df : Number.NaN;
    const next = newton > lo && newton < hi ? newton : (lo + hi) / 2;
    const step = next - x;
    x = next;
    if (Math.abs(step) < APRC_TOLERANCE || hi - lo < APRC_TOLERANCE) return x;
  }
  return x;
}

/**
 * {@link aprc} in ppm, half-up (halves away from zero). The solver's error (far below 10^-9)
 * only matters for an X within that distance of a half-ppm boundary.
 */
export function aprcPpm(drawdown: number, upfrontFees: number, plan: readonly PlanRow[]): number {
  const micros = aprc(drawdown, upfrontFees, plan) * 1e6;
  const sign = micros < 0 ? -1 : 1;
  return sign * Math.floor(Math.abs(micros) + 0.5);
}

/**
 * Every price figure of an offer from its terms: the plan at the nominal rate for the whole term
 * (to full repayment), its count, last payment and totals, the balance at the end of the
 * fixed-interest period, and the APRC with the upfront fees at the payout.
 *
 * Bounds: loan ≤ 10^12, rate ≤ 100 % and at most {@link MAX_PLAN_MONTHS} months keep every
 * figure a safe integer: each month's interest is at most ⌈10^12 / 12⌉, so totalInterest <
 * 1200 × 8.4 × 10^10 ≈ 10^14 and totalPaid < 1.01 × 10^14, far below 2^53 ≈ 9 × 10^15.
 *
 * @throws PlanError `payment_too_low` as {@link amortizationPlan}.
 * @throws RangeError for inputs out of range (fixedYears 0…100, 0 ≤ upfrontFees < loan).
 */
export function offerFigures(input: {
  loan: number;
  nominalPpm: number;
  payment: number;
  fixedYears: number;
  upfrontFees: number;
}): OfferFigures {
  const { loan, nominalPpm, payment, fixedYears, upfrontFees } = input;
  requireInt("fixedYears", fixedYears, 0, MAX_PLAN_MONTHS / 12);
  const plan = amortizationPlan(loan, nominalPpm, payment); // validates loan, rate and payment
  requireInt("upfrontFees", upfrontFees, 0, loan - 1);
  const last = plan[plan.length - 1] as PlanRow; // a plan has at least one row (loan ≥ 1)
  let totalPaid = 0n;
  let totalInterest = 0n;
  for (const row of plan) {
    totalPaid += BigInt(row.payment);
    totalInterest += BigInt(row.interest);
  }
  const fixedPeriodPayments = Math.min(fixedYears * 12, plan.length);
  const remainingDebtAtFixedEnd = fixedPeriodPayments === 0 ? loan : (plan[fixedPeriodPayments - 1] as PlanRow).balance;
  return {
    monthlyPayment: payment,
    numberOfPayments: plan.length,
    lastPayment: last.payment,
    totalPaid: toSafeNumber(totalPaid),
    totalInterest: toSafeNumber(totalInterest),
    remainingDebtAtFixedEnd,
    fixedPeriodPayments,
    upfrontFees,
    effectiveRatePpm: aprcPpm(loan, upfrontFees, plan),
  };
}

/**
 * Whether a stated effective rate matches the computed one: they may differ by at most
 * {@link EFFECTIVE_RATE_TOLERANCE_PPM} (0.01 percentage points, the last digit an offer shows).
 */
export function ratesAgree(statedPpm: number, computedPpm: number): boolean {
  return Math.abs(statedPpm - computedPpm) <= EFFECTIVE_RATE_TOLERANCE_PPM;
}
