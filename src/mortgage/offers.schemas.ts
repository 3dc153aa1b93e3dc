/**
 * Request schemas of the mortgage offer routes (strict: unknown fields are refused). Rates arrive
 * as a JSON number or a decimal string and leave the schema as exact integer ppm (`RateIn`);
 * instants as ISO-8601 strings and leave as epoch ms.
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { MinorUnits } from "../money/money";
import { MortgageId, PositiveMoneyIn, RateIn } from "./inputs";

/** An ISO-8601 instant with offset, to epoch ms. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

/** `POST /api/hypotheken/angebot`: the MortgageOfferVoucher object; the server computes every figure. */
export const OfferBody = z.strictObject({
  voucherId: MortgageId.optional(),
  /** Accepted for compatibility only as "mortgage-offer". */
  type: z.literal("mortgage-offer").optional(),
  /** Accepted for compatibility only as "offered": a client cannot choose a status. */
  status: z.literal("offered", { message: 'a client cannot set status (only "offered" is accepted)' }).optional(),
  applicationId: MortgageId,
  /** The lender: must be the caller. */
  issuerId: Uid.optional(),
  /** The borrower: must be the application's borrower when given. */
  holderUid: Uid.optional(),
  loan: PositiveMoneyIn,
  interest: z.strictObject({
    nominalRate: RateIn,
    /** The APRC the lender states; it must agree with the computed one within 0.01 percentage points. */
    effectiveRate: RateIn.optional(),
    fixedYears: z.number().int().min(1).max(40),
  }),
  repayment: z.strictObject({
    initialRate: RateIn,
    specialPaymentsAllowed: z.boolean().optional(),
    specialPaymentMaxPerYear: MinorUnits.optional(),
  }),
  fees: z
    .strictObject({
      processingFee: MinorUnits.optional(),
      valuationFee: MinorUnits.optional(),
      otherFees: z
        .array(z.strictObject({ name: z.string().min(1).max(100), amount: MinorUnits }))
        .max(20)
        .optional(),
    })
    .optional(),
  validity: z.strictObject({ validFrom: Instant.optional(), validUntil: Instant }),
  termsRef: z
    .url({ protocol: /^https$/, message: "must be an https URL" })
    .max(500)
    .optional(),
});

/**
 * `POST /api/mortgage/offer`, the original portal's body: the loan is the application's desired
 * loan, and the plan follows from the stated monthly payment.
 */
export const LegacyOfferBody = z.strictObject({
  applicationId: MortgageId,
  interestRate: RateIn,
  /** Integer minor units. */
  monthlyPayment: MinorUnits.min(1),
  voucherId: MortgageId.optional(),
  fixedYears: z.number().int().min(1).max(40).optional(),
  validUntil: Instant.optional(),
});

const OfferStatus = z.enum(["offered", "accepted", "declined", "withdrawn", "expired"]);

/** `GET /api/hypotheken/angebot/list`: the caller's offers (as borrower or lender), optionally of one application. */
export const OfferListQuery = z.strictObject({
  applicationId: MortgageId.optional(),
  role: z.enum(["borrower", "lender"]).optional(),
  status: OfferStatus.optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `GET /api/mortgage/offer-list`: the original's query (`role` defaults to borrower). */
export const LegacyOfferListQuery = z.strictObject({
  role: z.enum(["borrower", "lender"]).default("borrower"),
  applicationId: MortgageId.optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `POST /api/hypotheken/angebot/withdraw`. */
export const WithdrawOfferBody = z.strictObject({ voucherId: MortgageId });

/** `POST /api/hypotheken/angebot/accept`: optionally naming the notary of the new contract. */
export const AcceptOfferBody = z.strictObject({ voucherId: MortgageId, notaryUid: Uid.optional() });
