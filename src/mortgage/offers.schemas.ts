/**
 * Request schemas of the mortgage offer routes (strict: unknown fields are refused). Rates arrive
 * as a JSON number or a decimal string and leave the schema as exact integer ppm; instants as
 * ISO-8601 strings and leave as epoch ms.
 *
 * @module
 */
import * as z from "zod";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { Currency, MinorUnits } from "../money/money";
import { rateToPpm } from "../money/rate";

/** A client-chosen or generated object id; it becomes part of a room id (`mortgage:offer:<id>`). */
export const ObjectId = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, "must be 1-100 characters of A-Z a-z 0-9 _ . -");

/**
 * A rate as a decimal fraction (`0.032` = 3.2 %), number or decimal string, to integer ppm.
 * Exactly what the client wrote is kept: more precision than ppm is refused, never rounded.
 */
export const Rate = z.union([z.number(), z.string().max(40)]).transform((value, ctx) => {
  try {
    return rateToPpm(value);
  } catch (err) {
    ctx.issues.push({ code: "custom", message: err instanceof Error ? err.message : "not a rate", input: value });
    return z.NEVER;
  }
});

/** An ISO-8601 instant with offset, to epoch ms. */
const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

/** A loan: a positive amount in minor units and its ISO 4217 currency. */
const Loan = z.strictObject({ amount: MinorUnits.min(1), currency: Currency });

/** `POST /api/hypotheken/angebot`: the seed's MortgageOfferVoucher; the server computes every figure. */
export const OfferBody = z.strictObject({
  voucherId: ObjectId.optional(),
  /** Accepted for compatibility only as "mortgage-offer". */
  type: z.literal("mortgage-offer").optional(),
  /** Accepted for compatibility only as "offered": a client cannot choose a status. */
  status: z.literal("offered", { message: 'a client cannot set status (only "offered" is accepted)' }).optional(),
  applicationId: ObjectId,
  /** The lender: must be the caller. */
  issuerId: Uid.optional(),
  /** The borrower: must be the application's borrower when given. */
  holderUid: Uid.optional(),
  loan: Loan,
  interest: z.strictObject({
    nominalRate: Rate,
    /** The APRC the lender states; it must agree with the computed one within 0.01 percentage points. */
    effectiveRate: Rate.optional(),
    fixedYears: z.number().int().min(1).max(40),
  }),
  repayment: z.strictObject({
    initialRate: Rate,
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
  applicationId: ObjectId,
  interestRate: Rate,
  /** Integer minor units. */
  monthlyPayment: MinorUnits.min(1),
  voucherId: ObjectId.optional(),
  fixedYears: z.number().int().min(1).max(40).optional(),
  validUntil: Instant.optional(),
});

const OfferStatus = z.enum(["offered", "accepted", "declined", "withdrawn", "expired"]);

/** `GET /api/hypotheken/angebot/list`: the caller's offers (as borrower or lender), optionally of one application. */
export const OfferListQuery = z.strictObject({
  applicationId: ObjectId.optional(),
  role: z.enum(["borrower", "lender"]).optional(),
  status: OfferStatus.optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `GET /api/mortgage/offer-list`: the original's query (`role` defaults to borrower). */
export const LegacyOfferListQuery = z.strictObject({
  role: z.enum(["borrower", "lender"]).default("borrower"),
  applicationId: ObjectId.optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `POST /api/hypotheken/angebot/withdraw`. */
export const WithdrawOfferBody = z.strictObject({ voucherId: ObjectId });

/** `POST /api/hypotheken/angebot/accept`: optionally naming the notary of the new contract. */
export const AcceptOfferBody = z.strictObject({ voucherId: ObjectId, notaryUid: Uid.optional() });
