/**
 * The mortgage objects on the wire and their status rules. Field names follow the shapes the
 * portal and the offline manifest already use (property, application, and the offer, contract and
 * tranche "vouchers"); amounts are `{amount, currency}` in integer minor units, rates decimal
 * fractions (stored as integer ppm, so `0.032` is exact).
 *
 * Every object has one transition table. A handler checks it for a clear 409, and the batch
 * repeats the check as a compare-and-swap on the status, so a race can never write a transition
 * the table forbids.
 *
 * @module
 */
import * as z from "zod";
import { invalidTransition } from "../core/errors";
import { jsonObject } from "../core/json";
import type { OfferFigures } from "./finance";
import type { mortgageApplications, mortgageContracts, mortgageOffers, mortgageTranches, properties } from "../db/schema";
import type { MortgageObject } from "../rooms/room-id";

export type PropertyRow = typeof properties.$inferSelect;
export type ApplicationRow = typeof mortgageApplications.$inferSelect;
export type OfferRow = typeof mortgageOffers.$inferSelect;
export type ContractRow = typeof mortgageContracts.$inferSelect;
export type TrancheRow = typeof mortgageTranches.$inferSelect;

/** The room of a mortgage object, `mortgage:<object>:<id>` (ids are validated to fit a room id). */
export const mortgageRoomId = (object: MortgageObject, id: string) => `mortgage:${object}:${id}`;

// ── Status rules ─────────────────────────────────────────────────────────────────────────────

/** Application actions and the statuses they may start from. */
export const APPLICATION_TRANSITIONS = {
  /** A first offer arrives. */
  offer: { from: ["open", "offered"], to: "offered" },
  accept: { from: ["open", "offered"], to: "accepted" },
  withdraw: { from: ["open", "offered"], to: "withdrawn" },
} as const satisfies Transitions<ApplicationRow["status"]>;

/** Offer actions. `decline` happens to the other open offers when one is accepted (or the application is withdrawn). */
export const OFFER_TRANSITIONS = {
  accept: { from: ["offered"], to: "accepted" },
  decline: { from: ["offered"], to: "declined" },
  withdraw: { from: ["offered"], to: "withdrawn" },
  expire: { from: ["offered"], to: "expired" },
} as const satisfies Transitions<OfferRow["status"]>;

/**
 * Contract actions. Borrower and lender sign in any order (`draft` until both have, then
 * `pending-notary`); the notary signs last (`signed`). Either party may cancel until then.
 */
export const CONTRACT_TRANSITIONS = {
  "signed-by-borrower": { from: ["draft"], to: "draft|pending-notary" },
  "signed-by-lender": { from: ["draft"], to: "draft|pending-notary" },
  "signed-by-notary": { from: ["pending-notary"], to: "signed" },
  "assign-notary": { from: ["draft", "pending-notary"], to: "draft|pending-notary" },
  cancel: { from: ["draft", "pending-notary"], to: "cancelled" },
} as const satisfies Transitions<ContractRow["status"]>;

/** Tranche actions. */
export const TRANCHE_TRANSITIONS = {
  subscribe: { from: ["offered"], to: "subscribed" },
  cancel: { from: ["offered"], to: "cancelled" },
  expire: { from: ["offered"], to: "expired" },
} as const satisfies Transitions<TrancheRow["status"]>;

type Transitions<S extends string> = Record<string, { from: readonly S[]; to: string }>;

/** True if `action` of `table` is allowed from `status`. */
export function canTransition<T extends Transitions<string>>(table: T, action: keyof T, status: string): boolean {
  return (table[action]?.from as readonly string[] | undefined)?.includes(status) ?? false;
}

/** Throws 409 `invalid_transition {from, to}` unless `action` of `table` is allowed from `status`. */
export function assertTransition<T extends Transitions<string>>(
  entity: string,
  table: T,
  action: keyof T & string,
  status: string,
): void {
  if (!canTransition(table, action, status)) throw invalidTransition(entity, status, table[action]?.to ?? action);
}

// ── Wire shapes ──────────────────────────────────────────────────────────────────────────────

const iso = (t: number) => new Date(t).toISOString();
const isoOrNull = (t: number | null) => (t === null ? null : iso(t));
/** A rate for display in the JSON shapes (`0.032`); the stored ppm is the exact value. */
const rate = (ppm: number) => ppm / 1_000_000;
const money = (amount: number, currency: string) => ({ amount, currency });

const Money = z.object({ amount: z.number().int(), currency: z.string() });

/** The Property object. */
export const PropertyOut = z.object({
  propertyId: z.string(),
  ownerUid: z.string(),
  type: z.string(),
  address: z.object({ street: z.string(), zip: z.string(), city: z.string(), country: z.string() }),
  purchasePrice: Money,
  ownCapital: Money,
  meta: z.record(z.string(), z.unknown()),
  roomRefs: z.object({ propertyRoomId: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function toProperty(p: PropertyRow): z.output<typeof PropertyOut> {
  return {
    propertyId: p.id,
    ownerUid: p.ownerUid,
    type: p.type,
    address: jsonObject(p.address) as z.output<typeof PropertyOut>["address"],
    purchasePrice: money(p.purchasePriceAmount, p.currency),
    ownCapital: money(p.ownCapitalAmount, p.currency),
    meta: jsonObject(p.meta),
    roomRefs: { propertyRoomId: mortgageRoomId("property", p.id) },
    createdAt: iso(p.createdAt),
    updatedAt: iso(p.updatedAt),
  };
}

/** The MortgageApplication object. `meta` holds the borrower's financial data, shown only to whom it was shared with. */
export const ApplicationOut = z.object({
  applicationId: z.string(),
  borrowerUid: z.string(),
  propertyId: z.string(),
  desiredLoan: Money,
  desiredDurationYears: z.number().int(),
  desiredRateType: z.enum(["fixed", "variable"]),
  maxInterestRate: z.number().nullable(),
  submissionTs: z.string(),
  status: z.enum(["open", "offered", "accepted", "withdrawn"]),
  visibility: z.enum(["private", "market"]),
  /** False when the caller is a market lender the borrower has not shared the financial data with (`meta` is then `{}`). */
  financialsShared: z.boolean(),
  meta: z.record(z.string(), z.unknown()),
  acceptedOfferId: z.string().nullable(),
  roomRefs: z.object({ applicationRoomId: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** The application as `viewer` may see it: the financial data only when shared with it (or its own). */
export function toApplication(a: ApplicationRow, financialsShared = true): z.output<typeof ApplicationOut> {
  return {
    applicationId: a.id,
    borrowerUid: a.borrowerUid,
    propertyId: a.propertyId,
    desiredLoan: money(a.loanAmount, a.currency),
    desiredDurationYears: a.durationYears,
    desiredRateType: a.rateType,
    maxInterestRate: a.maxInterestPpm === null ? null : rate(a.maxInterestPpm),
    submissionTs: iso(a.submittedAt),
    status: a.status,
    visibility: a.visibility,
    financialsShared,
    meta: financialsShared ? jsonObject(a.meta) : {},
    acceptedOfferId: a.acceptedOfferId,
    roomRefs: { applicationRoomId: mortgageRoomId("application", a.id) },
    createdAt: iso(a.createdAt),
    updatedAt: iso(a.updatedAt),
  };
}

/** What `mortgage_offers.terms` holds beyond the columns. */
export interface OfferTerms {
  repayment: { specialPaymentsAllowed: boolean; specialPaymentMaxPerYear: number | null };
  fees: { processingFee: number; valuationFee: number; otherFees: { name: string; amount: number }[] };
  figures: Pick<
    OfferFigures,
    "numberOfPayments" | "lastPayment" | "totalPaid" | "totalInterest" | "remainingDebtAtFixedEnd" | "fixedPeriodPayments"
  >;
}

/** The MortgageOfferVoucher object, with every price figure the server computed. */
export const OfferOut = z.object({
  voucherId: z.string(),
  type: z.literal("mortgage-offer"),
  applicationId: z.string(),
  issuerId: z.string(),
  holderUid: z.string(),
  status: z.enum(["offered", "accepted", "declined", "withdrawn", "expired"]),
  loan: Money,
  interest: z.object({
    nominalRate: z.number(),
    effectiveRate: z.number(),
    effectiveRatePercent: z.string(),
    statedEffectiveRate: z.number().nullable(),
    fixedYears: z.number().int(),
  }),
  repayment: z.object({
    initialRate: z.number().nullable(),
    specialPaymentsAllowed: z.boolean(),
    specialPaymentMaxPerYear: z.number().int().nullable(),
  }),
  fees: z.object({
    processingFee: z.number().int(),
    valuationFee: z.number().int(),
    otherFees: z.array(z.object({ name: z.string(), amount: z.number().int() })),
    total: z.number().int(),
  }),
  figures: z.object({
    monthlyPayment: Money,
    numberOfPayments: z.number().int(),
    lastPayment: Money,
    totalAmountPaid: Money,
    totalInterest: Money,
    remainingDebtAtFixedEnd: Money,
    roundingRule: z.string(),
  }),
  validity: z.object({ validFrom: z.string(), validUntil: z.string() }),
  termsRef: z.string().nullable(),
  roomRefs: z.object({ negotiationRoomId: z.string(), contractRoomId: z.string().nullable() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/**
 * The offer object. `contractId` is the contract an accepted offer became (its room is in
 * `roomRefs`); `percent` renders the effective rate exactly (e.g. `"3.2678"`).
 */
export function toOffer(
  o: OfferRow,
  opts: { contractId?: string | null; percent: (ppm: number) => string; roundingRule: string },
): z.output<typeof OfferOut> {
  const t = jsonObject(o.terms) as unknown as OfferTerms;
  const c = o.currency;
  return {
    voucherId: o.id,
    type: "mortgage-offer",
    applicationId: o.applicationId,
    issuerId: o.lenderUid,
    holderUid: o.borrowerUid,
    status: o.status,
    loan: money(o.loanAmount, c),
    interest: {
      nominalRate: rate(o.nominalRatePpm),
      effectiveRate: rate(o.effectiveRatePpm),
      effectiveRatePercent: opts.percent(o.effectiveRatePpm),
      statedEffectiveRate: o.statedEffectiveRatePpm === null ? null : rate(o.statedEffectiveRatePpm),
      fixedYears: o.fixedYears,
    },
    repayment: {
      initialRate: o.initialRepaymentPpm === null ? null : rate(o.initialRepaymentPpm),
      specialPaymentsAllowed: t.repayment?.specialPaymentsAllowed ?? false,
      specialPaymentMaxPerYear: t.repayment?.specialPaymentMaxPerYear ?? null,
    },
    fees: {
      processingFee: t.fees?.processingFee ?? 0,
      valuationFee: t.fees?.valuationFee ?? 0,
      otherFees: t.fees?.otherFees ?? [],
      total: o.upfrontFees,
    },
    figures: {
      monthlyPayment: money(o.monthlyPayment, c),
      numberOfPayments: t.figures?.numberOfPayments ?? 0,
      lastPayment: money(t.figures?.lastPayment ?? 0, c),
      totalAmountPaid: money(t.figures?.totalPaid ?? 0, c),
      totalInterest: money(t.figures?.totalInterest ?? 0, c),
      remainingDebtAtFixedEnd: money(t.figures?.remainingDebtAtFixedEnd ?? 0, c),
      roundingRule: opts.roundingRule,
    },
    validity: { validFrom: iso(o.validFrom), validUntil: iso(o.validUntil) },
    termsRef: o.termsRef,
    roomRefs: {
      negotiationRoomId: mortgageRoomId("offer", o.id),
      contractRoomId: opts.contractId ? mortgageRoomId("contract", opts.contractId) : null,
    },
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt),
  };
}

const Signature = z.object({ uid: z.string(), at: z.string() }).nullable();

/** The MortgageContractVoucher object. */
export const ContractOut = z.object({
  voucherId: z.string(),
  type: z.literal("mortgage-contract"),
  applicationId: z.string(),
  offerVoucherId: z.string(),
  lenderId: z.string(),
  borrowerUid: z.string(),
  notaryUid: z.string().nullable(),
  loan: Money,
  status: z.enum(["draft", "pending-notary", "signed", "cancelled"]),
  signedByBorrower: z.boolean(),
  signedByLender: z.boolean(),
  signedByNotary: z.boolean(),
  signatures: z.object({ borrower: Signature, lender: Signature, notary: Signature }),
  cancelledBy: z.string().nullable(),
  tranchedAmount: Money,
  documentRefs: z.record(z.string(), z.unknown()),
  roomRefs: z.object({ contractRoomId: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function toContract(k: ContractRow): z.output<typeof ContractOut> {
  const sig = (uid: string | null, at: number | null) => (uid === null || at === null ? null : { uid, at: iso(at) });
  return {
    voucherId: k.id,
    type: "mortgage-contract",
    applicationId: k.applicationId,
    offerVoucherId: k.offerId,
    lenderId: k.lenderUid,
    borrowerUid: k.borrowerUid,
    notaryUid: k.notaryUid,
    loan: money(k.loanAmount, k.currency),
    status: k.status,
    signedByBorrower: k.signedByBorrowerAt !== null,
    signedByLender: k.signedByLenderAt !== null,
    signedByNotary: k.signedByNotaryAt !== null,
    signatures: {
      borrower: sig(k.borrowerUid, k.signedByBorrowerAt),
      lender: sig(k.lenderUid, k.signedByLenderAt),
      notary: sig(k.notaryUid, k.signedByNotaryAt),
    },
    cancelledBy: k.cancelledBy,
    tranchedAmount: money(k.tranchedAmount, k.currency),
    documentRefs: { draftPdf: null, signedPdf: null, ...jsonObject(k.documentRefs) },
    roomRefs: { contractRoomId: mortgageRoomId("contract", k.id) },
    createdAt: iso(k.createdAt),
    updatedAt: iso(k.updatedAt),
  };
}

/** The MortgageTrancheVoucher object. */
export const TrancheOut = z.object({
  voucherId: z.string(),
  type: z.literal("mortgage-tranche"),
  contractVoucherId: z.string(),
  underlyingOfferId: z.string(),
  issuerId: z.string(),
  holderUid: z.string().nullable(),
  status: z.enum(["offered", "subscribed", "cancelled", "expired"]),
  nominalAmount: Money,
  expectedYield: z.number(),
  riskClass: z.string(),
  durationYears: z.number().int(),
  validity: z.object({ validFrom: z.string(), validUntil: z.string() }),
  subscribedAt: z.string().nullable(),
  roomRefs: z.object({ investorRoomId: z.string() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export function toTranche(t: TrancheRow): z.output<typeof TrancheOut> {
  return {
    voucherId: t.id,
    type: "mortgage-tranche",
    contractVoucherId: t.contractId,
    underlyingOfferId: t.underlyingOfferId,
    issuerId: t.lenderUid,
    holderUid: t.holderUid,
    status: t.status,
    nominalAmount: money(t.nominalAmount, t.currency),
    expectedYield: rate(t.expectedYieldPpm),
    riskClass: t.riskClass,
    durationYears: t.durationYears,
    validity: { validFrom: iso(t.validFrom), validUntil: iso(t.validUntil) },
    subscribedAt: isoOrNull(t.subscribedAt),
    roomRefs: { investorRoomId: mortgageRoomId("tranche", t.id) },
    createdAt: iso(t.createdAt),
    updatedAt: iso(t.updatedAt),
  };
}
