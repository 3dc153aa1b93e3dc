/**
 * Request schemas of the application routes (strict: unknown fields are refused).
 *
 * @module
 */
import * as z from "zod";
import { APPLICATION_VISIBILITIES, MORTGAGE_RATE_TYPES } from "../db/schema";
import { CursorParam, LimitParam } from "../http/query";
import { Uid } from "../identity/schemas";
import { MinorUnits } from "../money/money";
import { MortgageId, PositiveMoneyIn, RateIn, SmallJsonObject } from "./inputs";

/** Most lenders one request may invite (each is one row and one role check in the batch). */
export const MAX_INVITED_LENDERS = 20;

/** The borrower's financial data: shown to lenders only once shared with them. */
const ApplicationMeta = z.strictObject({
  employmentStatus: z.string().trim().min(1).max(100).optional(),
  netIncomeMonthly: MinorUnits.optional(),
  otherLoans: z.array(SmallJsonObject(1024)).max(20).optional(),
});

/**
 * `POST /api/hypotheken/anfrage` (and the original `POST /api/mortgage/application`): the seed's
 * MortgageApplication object. `submissionTs` and `status: "open"` are accepted because clients
 * send the whole object, but the server's clock and the initial status are what is stored.
 */
export const ApplicationBody = z.strictObject({
  applicationId: MortgageId.optional(),
  borrowerUid: Uid.optional(),
  propertyId: MortgageId,
  desiredLoan: PositiveMoneyIn,
  desiredDurationYears: z.number().int().min(1).max(40),
  desiredRateType: z.enum(MORTGAGE_RATE_TYPES),
  maxInterestRate: RateIn.nullable().optional(),
  visibility: z.enum(APPLICATION_VISIBILITIES).default("private"),
  invitedLenders: z
    .array(Uid)
    .max(MAX_INVITED_LENDERS)
    .refine((l) => new Set(l).size === l.length, { message: "each lender at most once" })
    .optional(),
  meta: ApplicationMeta.optional(),
  submissionTs: z.iso.datetime({ offset: true }).optional(),
  status: z.literal("open", { message: 'a client cannot set status (only "open" is accepted)' }).optional(),
});

/** `GET /api/hypotheken/anfrage/list` (and `GET /api/mortgage/application-list`). */
export const ApplicationListQuery = z.strictObject({
  role: z.enum(["borrower", "lender"]).default("borrower"),
  status: z.enum(["open", "offered", "accepted", "withdrawn"]).optional(),
  limit: LimitParam(100, 50),
  cursor: CursorParam,
});

/** `POST /api/hypotheken/anfrage/share`. */
export const ShareBody = z.strictObject({ applicationId: MortgageId, lenderUid: Uid });

/** `POST /api/hypotheken/anfrage/withdraw`. */
export const WithdrawBody = z.strictObject({ applicationId: MortgageId });
