/**
 * The pure rules of offers: who may offer on an application and on what terms, the price figures
 * of an offer's terms, who may withdraw or accept an offer and when. Handlers use them to answer
 * with the precise reason; the write batches repeat each rule in their WHERE clauses, so a race
 * can never write what these functions would refuse.
 *
 * @module
 */
import * as z from "zod";
import { badRequest, conflict, forbidden, notFound } from "../core/errors";
import { ppmToPercent, ppmToRate } from "../money/rate";
import { EFFECTIVE_RATE_TOLERANCE_PPM, PlanError, ROUNDING_RULE_ID, annuityPayment, offerFigures, ratesAgree } from "./finance";
import {
  APPLICATION_TRANSITIONS,
  type ApplicationRow,
  OFFER_TRANSITIONS,
  type OfferRow,
  type OfferTerms,
  assertTransition,
  toOffer,
} from "./model";

const DAY = 86_400_000;
/** Longest an offer may stay open: a bank's binding offer rarely runs longer than six months. */
export const MAX_OFFER_VALIDITY_MS = 180 * DAY;

/** An offer as the create handlers assemble it, before the batch writes it. */
export interface OfferDraft {
  id: string;
  applicationId: string;
  lenderUid: string;
  /** The borrower the client named, if any: it must be the application's. */
  holderUid: string | null;
  loanAmount: number;
  currency: string;
  nominalRatePpm: number;
  initialRepaymentPpm: number | null;
  fixedYears: number;
  statedEffectiveRatePpm: number | null;
  termsRef: string | null;
  validFrom: number;
  validUntil: number;
  terms: OfferTerms;
  monthlyPayment: number;
  upfrontFees: number;
  effectiveRatePpm: number;
}

/** The application as an offering lender finds it. */
export interface ApplicationFacts {
  application: ApplicationRow;
  /** The caller holds the lender role. */
  isLender: boolean;
  /** The borrower shared the application with the caller. */
  sharedWithCaller: boolean;
  caller: string;
}

const offerNotFound = () => notFound("offer_not_found", "offer not found");

/**
 * Throws why `d` cannot be offered on the application (nothing if it can): the caller must be a
 * lender, see the application (market, or shared with it; others get 404 as if it did not exist),
 * not be its borrower; the application must be open or offered; holder, currency, loan and rate
 * must fit it.
 */
export function checkOfferable(f: Omit<ApplicationFacts, "application"> & { application?: ApplicationRow }, d: OfferDraft): void {
  if (!f.isLender) throw forbidden("not_lender", "only a lender may offer (an administrator grants the role)");
  const a = f.application;
  if (!a || (a.visibility !== "market" && !f.sharedWithCaller && a.borrowerUid !== f.caller)) {
    throw notFound("application_not_found", "application not found");
  }
  if (a.borrowerUid === f.caller) throw forbidden("not_allowed", "a lender cannot offer on its own application");
  assertTransition("application", APPLICATION_TRANSITIONS, "offer", a.status);
  if (d.holderUid !== null && d.holderUid !== a.borrowerUid) {
    throw badRequest("holder_mismatch", "holderUid must be the application's borrower");
  }
  if (d.currency !== a.currency) {
    throw badRequest("currency_mismatch", `the loan must be in the application's currency ${a.currency}`, {
      expected: a.currency,
      got: d.currency,
    });
  }
  if (d.loanAmount > a.loanAmount) {
    throw badRequest("loan_exceeds_application", "the loan exceeds the loan the borrower applied for", {
      requested: d.loanAmount,
      applied: a.loanAmount,
    });
  }
  if (a.maxInterestPpm !== null && d.nominalRatePpm > a.maxInterestPpm) {
    throw badRequest("rate_above_max", "the nominal rate exceeds the highest rate the borrower accepts", {
      nominalRate: ppmToRate(d.nominalRatePpm),
      maxInterestRate: ppmToRate(a.maxInterestPpm),
    });
  }
}

/**
 * The validity window of a new offer: `validFrom` before `validUntil`, `validUntil` in the future
 * and at most {@link MAX_OFFER_VALIDITY_MS} away.
 */
export function validityWindow(validFrom: number, validUntil: number, now: number): { validFrom: number; validUntil: number } {
  if (validFrom >= validUntil) throw badRequest("invalid_validity", "validFrom must be before validUntil");
  if (validUntil <= now) throw badRequest("invalid_validity", "validUntil must be in the future");
  if (validUntil - now > MAX_OFFER_VALIDITY_MS) throw badRequest("invalid_validity", "an offer may stay open at most 180 days");
  return { validFrom, validUntil };
}

/** What {@link priceOffer} prices. */
export interface PriceInput {
  loan: number;
  nominalPpm: number;
  /** The initial repayment rate the payment follows from (German annuity convention)… */
  initialRepaymentPpm?: number;
  /** …or the monthly payment itself. */
  payment?: number;
  fixedYears: number;
  fees: OfferTerms["fees"];
  /** The effective rate the lender stated, if any. */
  statedEffectivePpm: number | null;
}

/**
 * The price figures of an offer's terms (./finance.ts does the arithmetic): the monthly payment,
 * the plan's figures and the effective rate with the upfront fees. Refuses terms that give no
 * plan (`payment_too_low`), fees that leave nothing to lend (`invalid_terms`), and a stated
 * effective rate that differs from the computed one by more than 0.01 percentage points.
 */
export function priceOffer(p: PriceInput): {
  monthlyPayment: number;
  upfrontFees: number;
  effectiveRatePpm: number;
  figures: OfferTerms["figures"];
} {
  // At most 22 amounts of at most 10^12 each: the sum stays a safe integer.
  const upfrontFees = [p.fees.processingFee, p.fees.valuationFee, ...p.fees.otherFees.map((f) => f.amount)].reduce(
    (s, x) => s + x,
    0,
  );
  if (upfrontFees >= p.loan) {
    throw badRequest("invalid_terms", "the upfront fees must be less than the loan", { upfrontFees, loan: p.loan });
  }
  const payment = p.payment ?? annuityPayment(p.loan, p.nominalPpm, p.initialRepaymentPpm ?? 0);
  let f: ReturnType<typeof offerFigures>;
  try {
    f = offerFigures({ loan: p.loan, nominalPpm: p.nominalPpm, payment, fixedYears: p.fixedYears, upfrontFees });
  } catch (err) {
    if (err instanceof PlanError) throw badRequest("payment_too_low", err.message, { monthlyPayment: payment, ...err.details });
    // The effective rate of a drawdown almost eaten by fees is beyond any bound.
    if (err instanceof RangeError) throw badRequest("invalid_terms", err.message, { upfrontFees, loan: p.loan });
    throw err;
  }
  if (p.statedEffectivePpm !== null && !ratesAgree(p.statedEffectivePpm, f.effectiveRatePpm)) {
    throw badRequest(
      "effective_rate_mismatch",
      `the stated effective rate ${ppmToPercent(p.statedEffectivePpm)} % differs from the computed ${ppmToPercent(f.effectiveRatePpm)} % by more than 0.01 percentage points`,
      {
        stated: ppmToRate(p.statedEffectivePpm),
        computed: ppmToRate(f.effectiveRatePpm),
        tolerance: ppmToRate(EFFECTIVE_RATE_TOLERANCE_PPM),
      },
    );
  }
  return {
    monthlyPayment: payment,
    upfrontFees,
    effectiveRatePpm: f.effectiveRatePpm,
    figures: {
      numberOfPayments: f.numberOfPayments,
      lastPayment: f.lastPayment,
      totalPaid: f.totalPaid,
      totalInterest: f.totalInterest,
      remainingDebtAtFixedEnd: f.remainingDebtAtFixedEnd,
      fixedPeriodPayments: f.fixedPeriodPayments,
    },
  };
}

/** Throws why `caller` cannot withdraw `offer` (only its lender may, while it is offered). */
export function checkWithdrawable(offer: OfferRow | undefined, caller: string): asserts offer is OfferRow {
  if (!offer || (offer.lenderUid !== caller && offer.borrowerUid !== caller)) throw offerNotFound();
  if (offer.lenderUid !== caller) throw forbidden("not_lender", "only the offer's lender may withdraw it");
  assertTransition("offer", OFFER_TRANSITIONS, "withdraw", offer.status);
}

/** The offer, its application's status and the named notary's role, as the accept rules need them. */
export interface AcceptFacts {
  offer: OfferRow | undefined;
  applicationStatus: ApplicationRow["status"] | undefined;
  /** The body's `notaryUid` holds the notary role. */
  notaryIsNotary: boolean;
}

/**
 * Throws why `caller` cannot accept the offer now (returns it if it can): only its borrower, a
 * named notary must hold the role and be neither party, the offer must be offered and within its
 * validity, its application open or offered.
 */
export function checkAcceptable(f: AcceptFacts, caller: string, notaryUid: string | null, now: number): OfferRow {
  const o = f.offer;
  if (!o || (o.borrowerUid !== caller && o.lenderUid !== caller)) throw offerNotFound();
  if (o.borrowerUid !== caller) throw forbidden("not_borrower", "only the borrower the offer is made to may accept it");
  if (notaryUid !== null && (!f.notaryIsNotary || notaryUid === o.borrowerUid || notaryUid === o.lenderUid)) {
    throw badRequest("invalid_notary", "notaryUid must hold the notary role and be neither borrower nor lender");
  }
  const expired = () =>
    conflict("offer_expired", "the offer is no longer valid", { validUntil: new Date(o.validUntil).toISOString() });
  if (o.status === "expired") throw expired();
  assertTransition("offer", OFFER_TRANSITIONS, "accept", o.status);
  if (o.validUntil <= now) throw expired();
  if (o.validFrom > now) {
    throw conflict("offer_not_yet_valid", "the offer cannot be accepted before its validFrom", {
      validFrom: new Date(o.validFrom).toISOString(),
    });
  }
  if (f.applicationStatus) assertTransition("application", APPLICATION_TRANSITIONS, "accept", f.applicationStatus);
  return o;
}

/** The offer on the wire, with the exact effective rate in percent and the rounding rule it follows. */
export function offerOut(row: OfferRow, contractId: string | null) {
  return toOffer(row, { contractId, percent: ppmToPercent, roundingRule: ROUNDING_RULE_ID });
}

/** The original portal's offer object (`POST /api/mortgage/offer`, `GET /api/mortgage/offer-list`). */
export const LegacyOfferOut = z.object({
  offerId: z.string(),
  applicationId: z.string(),
  lenderUid: z.string(),
  borrowerUid: z.string(),
  interestRate: z.number(),
  monthlyPayment: z.number().int(),
  status: z.enum(["offered", "accepted", "declined", "withdrawn", "expired"]),
  createdAt: z.string(),
});

/** An offer row in the original portal's shape. */
export function legacyOfferOut(row: OfferRow): z.output<typeof LegacyOfferOut> {
  return {
    offerId: row.id,
    applicationId: row.applicationId,
    lenderUid: row.lenderUid,
    borrowerUid: row.borrowerUid,
    interestRate: ppmToRate(row.nominalRatePpm),
    monthlyPayment: row.monthlyPayment,
    status: row.status,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}
